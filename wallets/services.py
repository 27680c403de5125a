"""wallets: services."""
