"""webhooks: admin."""
