"""`Authorization: Bearer <key>` for the reseller API: key, source address, rate limit."""

import ipaddress
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, throttling

from resellers.key_cache import api_key_by_hash, api_key_mark_used
from resellers.models import ApiKey
from resellers.services import key_hash
from shop.client_address import client_address
from shop.ratelimit import rate_limit_hit

# last_used_at is written at most this often per key, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """401 for a missing, malformed, unknown or revoked key; 403 for a key used from an
    address outside its allow-list, or whose owner is no longer a reseller. Keys are read
    from the process's cache (`resellers.key_cache`): a change is seen within a second."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        raw_key = raw_key.strip()
        if scheme.lower() != "bearer" or not raw_key or " " in raw_key:
            raise exceptions.AuthenticationFailed("Use the header `Authorization: Bearer <key>`.")
        hashed = key_hash(raw_key)
        api_key = api_key_by_hash(hashed)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key was revoked.")
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        if not api_key.user.is_reseller:
            raise exceptions.PermissionDenied("Only resellers may use the API.")
        address = client_address(request.META)
        if api_key.allowed_networks and not _allowed(address, api_key.allowed_networks):
            raise exceptions.PermissionDenied(
                f"This key may not be used from {address or 'an unknown address'}."
            )
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key_mark_used(key_hash=hashed, when=now)
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return self.keyword


def _allowed(address: str, networks) -> bool:
    """Whether `address` is inside the key's allow-list; a stored list that is not a list of
    networks refuses every call (403), never an error."""
    try:
        if not isinstance(networks, list) or not all(isinstance(n, str) for n in networks):
            raise TypeError
        parsed = [ipaddress.ip_network(network, strict=False) for network in networks]
    except (TypeError, ValueError):
        raise exceptions.PermissionDenied(
            "This key's IP allow-list is not valid; create a new key or ask support to fix it."
        ) from None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in parsed)


class ApiKeyRateThrottle(throttling.BaseThrottle):
    """The key's `rate_limit_per_minute` as a token bucket in Redis (shop.ratelimit): a burst
    of the whole minute's calls, then one call per 60 / limit seconds."""

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        # prefix: unique across databases sharing one Redis
        decision = rate_limit_hit(
            key=f"resellers:{api_key.prefix}", limit=api_key.rate_limit_per_minute, period=60
        )
        self._wait = decision.retry_after
        return decision.allowed

    def wait(self) -> float:
        return self._wait
