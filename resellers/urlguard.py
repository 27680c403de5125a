"""SSRF guard for callback URLs: where may the shop POST a reseller's callbacks?

With simulators off (production) a URL must be https and every address its host resolves to
must be public. With `SIMULATORS_ENABLED` (the demo and tests) http and local addresses are
allowed, so a receiver on this machine can be used.

The check resolves the host again just before each send; a host that re-resolves between
that check and the connection (DNS rebinding within seconds) is not covered.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(Exception):
    """The URL may never be called (wrong scheme, private address): do not retry."""


class UnresolvableUrl(Exception):
    """The host does not resolve now: may work later."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_callback_url(url: str, *, resolve: bool = True) -> None:
    """Raise UnsafeUrl (or UnresolvableUrl) unless `url` may receive callbacks.

    `resolve=False` checks only the form (scheme, host, literal addresses).
    """
    parts = urlsplit(url)
    local_ok = settings.SIMULATORS_ENABLED
    allowed_schemes = ("https", "http") if local_ok else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafeUrl("The callback URL must use https.")
    if parts.username or parts.password:
        raise UnsafeUrl("The callback URL may not contain a user name or password.")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UnsafeUrl("The callback URL has an invalid port.") from None
    if not host:
        raise UnsafeUrl("The callback URL needs a host name.")
    if local_ok:
        return
    try:
        if not _is_public(host):
            raise UnsafeUrl(f"The callback URL points at a private address ({host}).")
        return  # a literal public address
    except ValueError:
        pass  # a host name
    if not resolve:
        return
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableUrl(f"The host {host} does not resolve: {exc}.") from None
    addresses = {info[4][0] for info in infos}
    if not addresses:
        raise UnresolvableUrl(f"The host {host} does not resolve.")
    private = sorted(address for address in addresses if not _is_public(address))
    if private:
        raise UnsafeUrl(f"The host {host} resolves to a private address ({', '.join(private)}).")
