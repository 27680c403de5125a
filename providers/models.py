"""providers: models."""
