"""accounts: writes of the account pages."""

from django.db import transaction
from django.utils import timezone

from shop.models import Notification


@transaction.atomic
def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark `user`'s unread notifications read (only those in `notification_ids` when
    given); another user's ids are ignored. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
