"""orders: selectors."""
