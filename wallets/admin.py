"""wallets: admin."""
