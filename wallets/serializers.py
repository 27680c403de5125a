"""wallets: serializers."""
