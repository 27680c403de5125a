"""orders: admin."""
