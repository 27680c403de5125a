"""webhooks: views."""
