"""Where event pushes may go: public addresses only, unless an allow-list says otherwise.

A subscriber names a URL and hotline POSTs to it; unchecked, that lets anyone with a token
make the server call what only it can reach (server-side request forgery): the cloud's
metadata service at 169.254.169.254, a database on localhost, the office network.
:func:`check_url` refuses a URL whose host resolves to any loopback, private, link-local,
multicast, reserved, shared or unspecified address (every address of the name, so one public
record cannot smuggle a private one in) unless the host is allow-listed by name or the address
lies in an allowed network (:class:`Policy`, from ``HOTLINE_WEBHOOK_ALLOWED_HOSTS`` and
``HOTLINE_WEBHOOK_ALLOWED_NETWORKS``).

The subscription is checked when it is made; each delivery checks again at connect time, on
the very address it then connects to (:func:`guarded_opener`), so a name re-pointed after
subscribing (DNS rebinding) reaches nothing. The opener follows no redirect and ignores the
proxy environment (a proxy would connect on our behalf to whatever the name says).
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: how names are resolved; a test replaces it to play a DNS server
getaddrinfo = socket.getaddrinfo


class RefusedDestination(OSError):
    """A URL whose host is not a public address and is not allow-listed (or cannot be
    resolved). An ``OSError`` so that urllib reports it as the connection's failure."""


@dataclass(frozen=True)
class Policy:
    """The allow-list: host names, and networks whose addresses may be reached."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Policy:
        """The policy of the ``WEBHOOK_ALLOWED_HOSTS`` / ``_NETWORKS`` settings (typed by
        :mod:`hotline.config`, or the environment's comma-separated text)."""
        return cls(parse_hosts(settings.get("WEBHOOK_ALLOWED_HOSTS") or ()),
                   parse_networks(settings.get("WEBHOOK_ALLOWED_NETWORKS") or ()))

    def permits(self, host: str, address: Address) -> bool:
        """Whether ``address`` (one of ``host``'s) may be connected to."""
        if _bare(host) in self.hosts:
            return True
        if any(address in network or _unmapped(address) in network
               for network in self.networks):
            return True
        return is_public(address)


def is_public(address: Address) -> bool:
    """A globally routable unicast address: not loopback, private, link-local, multicast,
    reserved, shared (100.64/10), documentation or unspecified."""
    address = _unmapped(address)
    return address.is_global and not (
        address.is_multicast or address.is_private or address.is_loopback
        or address.is_link_local or address.is_reserved or address.is_unspecified)


def check_url(url: str, policy: Policy) -> list[Address]:
    """The addresses ``url``'s host resolves to, all permitted; else
    :class:`RefusedDestination` saying why (not http(s), no host, unresolvable, or which
    address is refused)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination("not an http(s) URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedDestination("the port is not a number from 0 to 65535") from None
    return permitted_addresses(parts.hostname, port, policy)


def permitted_addresses(host: str, port: int, policy: Policy) -> list[Address]:
    """Resolve ``host`` and check every address it has; refuse if any is not permitted."""
    addresses = resolve(host, port)
    for address in addresses:
        if not policy.permits(host, address):
            raise RefusedDestination(f"{host} resolves to {address}, which is not a public "
                                     "address (allow it with HOTLINE_WEBHOOK_ALLOWED_NETWORKS)")
    return addresses


def resolve(host: str, port: int) -> list[Address]:
    """Every address of ``host`` (an address literal is itself), without duplicates."""
    try:
        infos = getaddrinfo(_bare(host), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedDestination(f"{host} cannot be resolved ({exc})") from None
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise RefusedDestination(f"{host} has no address")
    return found


def guarded_opener(policy: Policy) -> urllib.request.OpenerDirector:
    """A urllib opener that connects only to permitted addresses, checked on the address it
    connects to, follows no redirect (a 3xx is the answer) and uses no proxy."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler(policy), _HTTPSHandler(policy),
        _NoRedirect())


def _connector(policy: Policy, host: str) -> Callable[..., socket.socket]:
    """Replaces ``socket.create_connection`` for one connection: resolve, check, then
    connect to the checked addresses only (the name is not resolved a second time)."""
    def connect(address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,
                source_address: Any = None) -> socket.socket:
        port = address[1]
        last: OSError | None = None
        for checked in permitted_addresses(host, port, policy):
            try:
                return socket.create_connection((str(checked), port), timeout, source_address)
            except OSError as exc:
                last = exc
        raise last or RefusedDestination(f"{host}: no address to connect to")
    return connect


def _guarded(kind: type[http.client.HTTPConnection], policy: Policy) -> Callable[..., Any]:
    """Build connections of ``kind`` that connect only where ``policy`` permits. http.client
    connects through ``_create_connection`` (``socket.create_connection`` by default); TLS
    still verifies the certificate against the host name, not the address."""
    def build(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = kind(host, **kwargs)
        connection._create_connection = _connector(policy, connection.host)  # type: ignore[attr-defined]
        return connection
    return build


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def http_open(self, req):  # noqa: D102 - urllib's hook
        return self.do_open(_guarded(http.client.HTTPConnection, self.policy), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def https_open(self, req):  # noqa: D102 - urllib's hook
        options: dict[str, Any] = {"context": self._context}
        if getattr(self, "_check_hostname", None) is not None:  # Python 3.11's extra knob
            options["check_hostname"] = self._check_hostname
        return self.do_open(_guarded(http.client.HTTPSConnection, self.policy), req, **options)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an instruction to post elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        return None


def parse_hosts(names: str | Iterable[str]) -> frozenset[str]:
    """Host names (a comma-separated text or a list) as the policy compares them: lower
    case, no trailing dot; ``ValueError`` for anything that is not a host name."""
    found = set()
    for name in _items(names):
        host = _bare(name)
        if not _HOST.fullmatch(host):
            raise ValueError(f"not a host name: {name!r}")
        found.add(host)
    return frozenset(found)


def parse_networks(values: str | Iterable[str | Network]) -> tuple[Network, ...]:
    """Networks (``10.20.0.0/16``, ``127.0.0.1``, ``fd00::/8``), comma-separated or a list;
    ``ValueError`` for anything else."""
    networks = []
    for value in _items(values):
        try:
            networks.append(value if isinstance(value, Network)
                            else ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"not a network or address: {value!r}") from None
    return tuple(networks)


_HOST = re.compile(r"(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
                   r"(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*")


def _items(values: Any) -> list[Any]:
    if isinstance(values, str):
        values = values.split(",")
    return [v.strip() if isinstance(v, str) else v for v in values
            if not (isinstance(v, str) and not v.strip())]


def _bare(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _unmapped(address: Address) -> Address:
    """An IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
