"""catalog: selectors."""
