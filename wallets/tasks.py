"""wallets: tasks."""
