"""catalog: admin."""
