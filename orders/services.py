"""orders: services."""
