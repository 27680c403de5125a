"""webhooks: serializers."""
