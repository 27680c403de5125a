"""wallets: selectors."""
