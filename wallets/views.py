"""wallets: views."""
