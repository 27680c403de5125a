"""Who is calling: the client's address behind the trusted proxies, and whether an address is
in a list of networks (the callback allow-lists). Used by webhooks and the reseller API."""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def in_networks(address: str, networks: list[str]) -> bool:
    """Whether `address` is in one of `networks` (CIDR or single addresses); an invalid
    network in settings is logged and skipped."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("ignoring the invalid network %r in settings", network)
    return False


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(meta: dict) -> str:
    """The caller's address: REMOTE_ADDR, or, when that is a trusted proxy, the right-most
    X-Forwarded-For entry that is not itself a trusted proxy. "" when no valid address is
    known (a hop that is not an address ends the search: nothing before it is believed)."""
    address = meta.get("REMOTE_ADDR", "")
    if not _valid_ip(address):
        return ""
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not in_networks(address, trusted):
        return address
    forwarded = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in forwarded if hop]):
        if not _valid_ip(hop):
            return ""
        if not in_networks(hop, trusted):
            return hop
    return address
