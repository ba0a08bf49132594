"""Connections to addresses an admin typed in: webhook receivers and tracker
APIs. In production mode they must not reach Hotwash's own machine or
network: loopback, link-local (cloud metadata at 169.254.169.254), private
ranges (10/8, 172.16/12, 192.168/16, fc00::/7), unspecified, multicast,
reserved or otherwise non-public addresses. HOTWASH_OUTBOUND_ALLOW
(settings.OUTBOUND_ALLOW) lists the exceptions an operator wants: host
names (exactly, any case) and CIDR ranges or single addresses.

The rule is applied twice:
- when the address is saved (`check_url`, from the models' clean()), for a
  clear message in the admin; a name that does not resolve yet passes here;
- at every connection (`GuardedTransport`): the name is resolved once, every
  address is checked, and the connection goes to a checked address, so a
  name that changes its answer between the check and the connection (DNS
  rebinding) cannot slip through. Redirects are never followed by callers;
  if one were, its connection would be checked the same way.

Outside production mode everything is allowed: developers and the tests run
receivers on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundRefused(Exception):
    """Hotwash will not connect to this address. The message says which
    address, why, and how an operator allows it."""


def guard_active() -> bool:
    return bool(settings.PRODUCTION)


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    def admits_host(self, host: str) -> bool:
        return _normal_host(host) in self.hosts

    def admits_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def allow_list() -> AllowList:
    """settings.OUTBOUND_ALLOW, read each time (tests change it)."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in getattr(settings, "OUTBOUND_ALLOW", []):
        text = str(entry).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
        except ValueError:
            hosts.add(_normal_host(text))
    return AllowList(frozenset(hosts), tuple(networks))


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _address(value: str | IPAddress) -> IPAddress:
    address = ipaddress.ip_address(value) if isinstance(value, str) else value
    # ::ffff:127.0.0.1 reaches 127.0.0.1; judge the IPv4 address inside.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal_reason(value: str | IPAddress) -> str | None:
    """Why Hotwash must not connect to this address ("a loopback address"),
    or None for a public one."""
    address = _address(value)
    reasons: list[tuple[bool, str]] = [
        (address.is_loopback, _("a loopback address")),
        (address.is_link_local, _("a link-local address")),
        (address.is_unspecified, _("an unspecified address")),
        (address.is_multicast, _("a multicast address")),
        (address.is_reserved, _("a reserved address")),
        (address.is_private, _("a private address")),
        # Shared (100.64/10), documentation, benchmarking and the like.
        (not address.is_global, _("an address that is not publicly routable")),
    ]
    return next((reason for refused, reason in reasons if refused), None)


def _refusal(host: str, address: str, reason: str) -> OutboundRefused:
    if _normal_host(host) == _normal_host(address):
        where = _("%(address)s is %(reason)s") % {"address": address, "reason": reason}
    else:
        where = _("%(host)s resolves to %(address)s, %(reason)s") % {
            "host": host,
            "address": address,
            "reason": reason,
        }
    return OutboundRefused(
        _(
            "%(where)s. In production Hotwash does not connect to internal addresses; "
            "an operator can allow this host or range with HOTWASH_OUTBOUND_ALLOW."
        )
        % {"where": where}
    )


def _check(host: str, addresses: list[str], allowed: AllowList) -> None:
    for text in addresses:
        address = _address(text.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        reason = refusal_reason(address)
        if reason is not None and not allowed.admits_address(address):
            raise _refusal(host, text, reason)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(_normal_host(host))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, once each.
    Raises socket.gaierror when it does not resolve."""
    found: list[str] = []
    for *_ignored, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


def resolve_and_check(host: str, port: int) -> list[str]:
    """The addresses to connect to for `host`, every one of them checked
    (in production mode). OutboundRefused if any is internal and not allowed:
    a name with one public and one private address is refused, since the
    connection could go to either."""
    name = _normal_host(host)
    addresses = resolve(name, port)
    if guard_active():
        allowed = allow_list()
        if not allowed.admits_host(name):
            _check(host, addresses, allowed)
    return addresses


def check_url(url: str) -> None:
    """The save-time check of an address an admin typed in: OutboundRefused
    with a message for the form. A name that does not resolve from here
    passes; the connection is checked again in any case."""
    if not guard_active():
        return
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    except ValueError:
        return  # not a URL: the field's own validation says so
    host = parts.hostname
    if not host or allow_list().admits_host(host):
        return
    literal = _literal(host)
    if literal is not None:
        _check(host, [str(literal)], allow_list())
        return
    try:
        resolve_and_check(host, port)
    except OSError:
        return


# --- the connection --------------------------------------------------------------


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network layer with the check in it: resolve the name,
    check every address, connect to a checked one. TLS still verifies the
    certificate against the name (httpcore passes the URL's host as the
    server name, whatever address the socket connects to)."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_and_check(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from None
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return self._backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise OutboundRefused(_("Hotwash does not connect to local sockets."))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over the guarded backend. Use it for every request
    to an address an admin configured:

        httpx.Client(transport=GuardedTransport(), follow_redirects=False)

    A client given a transport ignores the HTTP(S)_PROXY variables, so the
    connection goes where the check says it goes."""

    def __init__(self) -> None:
        super().__init__()
        # httpx offers no hook for name resolution; httpcore's pool takes a
        # network backend. Replace the pool httpx built with the same one
        # (httpx's defaults) over the guarded backend. httpx is pinned, and
        # tests/security/test_outbound_guard.py fails if this stops being used.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(),
        )
