"""providers: admin."""
