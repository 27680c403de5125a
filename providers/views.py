"""providers: views."""
