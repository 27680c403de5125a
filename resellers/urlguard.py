"""SSRF guard for callback URLs: where may the shop POST a reseller's callbacks?

With simulators off (production) a URL must be https and every address its host resolves to
must be public. With `SIMULATORS_ENABLED` (the demo and tests) http and local addresses are
allowed, so a receiver on this machine can be used.

DNS rebinding: `callback_target` resolves the host once, checks every address, and returns
them; `pinned_post` then connects to exactly those addresses (the URL's host name
still goes in the `Host` header, the TLS SNI and the certificate check), so a name that
re-resolves to a private address between the check and the connection is never followed.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter

# At most this many of a host's addresses are tried in one attempt (each may take the
# connect timeout).
ADDRESSES_TRIED = 4


class UnsafeUrl(Exception):
    """The URL may never be called (wrong scheme, private address): do not retry."""


class UnresolvableUrl(Exception):
    """The host does not resolve now: may work later."""


@dataclass(frozen=True)
class CallbackTarget:
    """A checked callback URL and the addresses (all checked) to connect to for it."""

    url: str
    host: str  # as in the URL, without brackets
    port: int
    addresses: tuple[str, ...]

    def url_at(self, address: str) -> str:
        """The URL with `address` in place of the host name."""
        parts = urlsplit(self.url)
        literal = f"[{address}]" if ":" in address else address
        return urlunsplit(parts._replace(netloc=f"{literal}:{self.port}"))

    @property
    def host_header(self) -> str:
        literal = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if urlsplit(self.url).scheme == "https" else 80
        return literal if self.port == default else f"{literal}:{self.port}"


# IPv6 ranges refused whatever they embed: deprecated (site-local, RFC 3879; IPv4-compatible,
# RFC 4291; IPv4-translated, RFC 6145), or reached through a relay or translator chosen by
# someone else (6to4, RFC 7526; Teredo, RFC 4380; local-use NAT64, RFC 8215). Python calls
# some of them global.
REFUSED_IPV6_NETWORKS = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "fec0::/10",
        "::/96",
        "::ffff:0:0:0/96",
        "2002::/16",
        "2001::/32",
        "64:ff9b:1::/48",
    )
)
# The well-known NAT64 prefix (RFC 6052): a translator reaches the IPv4 address in the last
# 32 bits.
NAT64_NETWORK = ipaddress.IPv6Network("64:ff9b::/96")


def reached_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The address a connection to `ip` really reaches: the IPv4 address inside an
    IPv4-mapped or NAT64 address, else `ip` itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in NAT64_NETWORK:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in REFUSED_IPV6_NETWORKS):
        return False
    ip = reached_address(ip)
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_private
    )


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for TCP, in the resolver's order (OSError when none)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


def callback_target(url: str, *, resolve: bool = True) -> CallbackTarget | None:
    """Check `url` and pick the address to connect to; raise UnsafeUrl (never callable) or
    UnresolvableUrl (may work later).

    The host is resolved once here and every address must be public (where simulators are
    off). `resolve=False` checks only the form (scheme, host, literal addresses) and returns
    None for a host name.
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
    port = port or (443 if parts.scheme == "https" else 80)
    if _is_literal(host):
        addresses = [host]
    elif not resolve:
        return None
    else:
        try:
            addresses = resolve_host(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnresolvableUrl(f"The host {host} does not resolve: {exc}.") from None
        if not addresses:
            raise UnresolvableUrl(f"The host {host} does not resolve.")
    if not local_ok:
        private = [address for address in addresses if not _is_public(address)]
        if private and addresses == [host]:
            raise UnsafeUrl(f"The callback URL points at a private address ({host}).")
        if private:
            raise UnsafeUrl(
                f"The host {host} resolves to a private address ({', '.join(sorted(private))})."
            )
    return CallbackTarget(url=url, host=host, port=port, addresses=tuple(addresses))


def check_callback_url(url: str) -> None:
    """Raise UnsafeUrl (or UnresolvableUrl) unless `url` may receive callbacks (when saved;
    the sender checks again). With simulators on, host names are not looked up here."""
    callback_target(url, resolve=not settings.SIMULATORS_ENABLED)


class PinnedAdapter(HTTPAdapter):
    """Sends to the checked address while TLS checks the certificate for the host name:
    the request URL carries the address, `server_hostname` (SNI) and `assert_hostname` the
    name. No retries: the caller's schedule retries."""

    def __init__(self, host: str):
        self.host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self.host
        kwargs["assert_hostname"] = self.host
        super().init_poolmanager(*args, **kwargs)


@dataclass(frozen=True)
class PostReply:
    status_code: int
    text: str  # the start of the body only (see `pinned_post`)


def pinned_post(
    target: CallbackTarget,
    *,
    data: bytes,
    headers: dict,
    timeout,
    verify=True,
    read_limit: int = 2000,
    read_for: float = 10.0,
) -> PostReply:
    """POST to `target` at its checked addresses, in the resolver's order until one takes
    the connection; no redirects, no proxy from the environment (a proxy would resolve the
    name again). Of the reply's body only the first `read_limit` bytes are read, for at
    most about `read_for` seconds: a receiver that sends a huge body, or trickles it, holds
    neither memory nor a worker."""
    with requests.Session() as session:
        session.trust_env = False
        session.mount(urlsplit(target.url).scheme + "://", PinnedAdapter(target.host))
        *others, last = target.addresses[:ADDRESSES_TRIED]
        for address in others:
            try:
                reply = _post(session, target, address, data, headers, timeout, verify)
                break
            except requests.ConnectionError:
                continue  # the next address; the receiver dedupes by webhook-id
        else:
            reply = _post(session, target, last, data, headers, timeout, verify)
        with reply:
            return PostReply(reply.status_code, _start_of_body(reply, read_limit, read_for))


def _post(session, target, address, data, headers, timeout, verify) -> requests.Response:
    return session.post(
        target.url_at(address),
        data=data,
        headers={**headers, "Host": target.host_header},
        timeout=timeout,
        allow_redirects=False,
        verify=verify,
        stream=True,  # the body is read by `_start_of_body`, bounded
    )


def _start_of_body(reply: requests.Response, limit: int, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    received = bytearray()
    try:
        while len(received) < limit and time.monotonic() < deadline:
            chunk = reply.raw.read1(limit - len(received))  # what one receive brings
            if not chunk:
                break
            received += chunk
    except (requests.RequestException, OSError, urllib3.exceptions.HTTPError):
        pass  # the status is the answer; the body is only logged
    return bytes(received[:limit]).decode(reply.encoding or "utf-8", errors="replace")
