"""catalog: tasks."""
