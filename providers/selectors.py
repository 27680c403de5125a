"""providers: selectors."""
