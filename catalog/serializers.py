"""catalog: serializers."""
