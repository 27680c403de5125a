"""providers: serializers."""
