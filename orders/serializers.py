"""orders: serializers."""
