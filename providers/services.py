"""providers: services."""
