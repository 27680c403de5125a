from shop.models import Notification


def unread_notifications(request) -> dict:
    """`unread_notifications`: the signed-in user's unread count for the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()
    }
