"""catalog: services."""
