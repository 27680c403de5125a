"""API keys (with their owners) kept in each process's memory, so a reseller call reads no
key row: dropped everywhere within a second of a key or a user changing (see
`shop.local_cache`). Revoking a key, deactivating its owner or changing the owner's role or
tier is seen by every process within `shop.local_cache.CHECK_EVERY` seconds of the commit.
"""

import copy

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from resellers.models import ApiKey
from shop.local_cache import VersionedLocalCache

api_keys = VersionedLocalCache("resellers.api_keys")


def api_key_by_hash(key_hash: str) -> ApiKey | None:
    """The key whose SHA-256 is `key_hash`, with its user, or None. A copy of the cached
    row: the caller may change it (and its user) without other requests seeing it."""
    found = api_keys.get(key_hash, lambda: _load(key_hash))
    if found is None:
        return None
    api_key = copy.copy(found)
    api_key.user = copy.copy(found.user)
    return api_key


def api_key_mark_used(*, key_hash: str, when) -> None:
    """The cached row's `last_used_at` (the database was written): this process's other
    requests do not write it again within the minute."""
    found = api_keys.get(key_hash, lambda: None)
    if found is not None:
        found.last_used_at = when


def _load(key_hash: str) -> ApiKey | None:
    return ApiKey.objects.select_related("user").filter(key_hash=key_hash).first()


# A user's save that changes none of what a key's check reads (every sign-in writes this).
_IRRELEVANT_USER_FIELDS = frozenset({"last_login"})


def api_keys_changed(*, update_fields=None, **_kwargs) -> None:
    if update_fields and set(update_fields) <= _IRRELEVANT_USER_FIELDS:
        return
    api_keys.invalidate()


def connect_signals() -> None:
    """Every save or delete of a key or a user drops the cached keys (users: a key's owner
    may be deactivated or stop being a reseller; a cascade delete sends these too)."""
    for model in (ApiKey, get_user_model()):
        for signal in (post_save, post_delete):
            signal.connect(
                api_keys_changed,
                sender=model,
                dispatch_uid=f"resellers.key_cache.{signal is post_save}.{model._meta.label}",
            )
