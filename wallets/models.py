"""wallets: models."""
