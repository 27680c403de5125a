"""One CallbackProtocol per callback URL, by WebhookSource (webhooks/protocol.py)."""
