"""webhooks: models."""
