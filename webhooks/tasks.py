"""webhooks: tasks."""
