"""orders: tasks."""
