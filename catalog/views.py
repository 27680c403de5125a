"""catalog: views."""
