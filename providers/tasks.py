"""providers: tasks."""
