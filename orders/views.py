"""orders: views."""
