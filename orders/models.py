"""orders: models."""
