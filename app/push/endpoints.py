"""Where a push may go: a push endpoint's host, checked before Carnet calls it.

A subscription's endpoint is a URL that a signed-in person hands us and that the worker
will POST to: without care, anyone could make our server call an address of their choice
(server-side request forgery), such as a database admin page or a cloud metadata service.

- A host named in ``PUSH_SERVICES`` (``CARNET_PUSH_SERVICES``, or by default the browsers'
  push services), or a subdomain of one, is trusted as configured: a territory may run its
  own push service on its internal network. It is reached the ordinary way.
- With ``*`` in that list, any other host may be used if its name resolves, now, only to
  public addresses. An IP address in the URL is never accepted that way, in any notation
  (``127.1``, ``0x7f.1``, ``0177.0.0.1``, ``2130706433``, ``[::ffff:127.0.0.1]``…), nor is a
  name without a dot (``localhost``, an intranet name completed by the resolver).

The check runs at subscription and again before each delivery, since DNS may change in
between; the worker then connects to the very addresses checked (``transport``), so the
name is never resolved a second time on the way.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from socket import getaddrinfo  # here, so that tests can answer for the DNS
from urllib.parse import urlsplit

import idna
from urllib3.util.connection import allowed_gai_family

# The tests' own push service (tests/push_service.py): plain http on this machine, allowed
# only when the app is in testing mode (``allow_local_http``).
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
ADDRESSES_MAX = 4  # tried in order when one does not answer

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
# Characters that parsers of URLs disagree on (urlsplit quietly drops tabs and newlines).
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
# Not globally reachable, yet ``is_global`` says otherwise on some Python versions.
_NOT_GLOBAL = tuple(ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15",
    "224.0.0.0/3", "64:ff9b:1::/48", "fec0::/10", "ff00::/8"))
_NAT64 = ip_network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are IPv4


class Refused(ValueError):
    """An endpoint Carnet must not call: not an allowed push service, or an internal address."""


class Unresolved(ValueError):
    """The endpoint's host name does not resolve at the moment (maybe a passing DNS failure)."""


@dataclass(frozen=True)
class Destination:
    """Where a request to an endpoint goes."""

    scheme: str
    host: str  # normalized: lower-case ASCII (IDNA), no trailing dot, no brackets
    port: int
    # The checked addresses to connect to, in order; empty for a trusted host, which is
    # reached the ordinary way.
    addresses: tuple[str, ...] = ()

    @property
    def host_header(self) -> str:
        default = {"https": 443, "http": 80}[self.scheme]
        return self.host if self.port == default else f"{self.host}:{self.port}"


def normalize_host(host: str) -> str:
    """``host`` as it is looked up: lower-case, IDNA (ASCII), no trailing dot or brackets,
    an IPv6 address in its compressed form. Raises Refused when it cannot be a host."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode().rstrip(".")
        except idna.IDNAError as error:
            raise Refused(f"not a host name: {error}") from None
    if ":" in host:
        try:
            return str(IPv6Address(host))
        except ValueError:
            raise Refused("not an IPv6 address") from None
    if not _HOST_NAME.match(host):
        raise Refused("not a host name")
    return host


def ipv4_literal(host: str) -> IPv4Address | None:
    """The IPv4 address ``host`` spells in any notation the system resolver accepts
    (``127.1``, ``0x7f.1``, ``0177.0.0.1``, ``2130706433``), or None for a name."""
    try:
        return IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def public(address: IPv4Address | IPv6Address) -> bool:
    """Whether ``address`` is on the public internet: not loopback, private, link-local,
    shared (100.64/10), multicast, unspecified or reserved, nor an IPv6 form of such an
    IPv4 address (mapped ``::ffff:0:0/96``, 6to4, NAT64)."""
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
        or any(address in network for network in _NOT_GLOBAL
               if network.version == address.version))


def trusted(host: str, services: tuple[str, ...]) -> bool:
    """Whether ``host`` (normalized) is named in ``services``, or is a subdomain of a name
    there: trusted as configured, whatever it resolves to."""
    for service in services:
        if service == "*":
            continue
        try:
            service = normalize_host(service)
        except Refused:
            continue
        if host == service or (not _is_address(service) and host.endswith("." + service)):
            return True
    return False


def resolve(host: str, port: int) -> tuple[str, ...]:
    """The addresses ``host`` resolves to, as the HTTP client would connect (its address
    family), first to try first; Unresolved when there are none."""
    try:
        # The absolute name: the resolver's search domains must not complete it.
        found = getaddrinfo(host + ".", port, allowed_gai_family(), socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Unresolved(f"{host}: {error}") from None
    addresses = list(dict.fromkeys(
        info[4][0].partition("%")[0] for info in found))  # without an IPv6 zone
    if not addresses:
        raise Unresolved(f"{host}: no address")
    return tuple(addresses)


def destination(url: str, services: tuple[str, ...], allow_local_http: bool = False,
                require_https: bool = False) -> Destination:
    """Where a request to ``url`` may go, or Refused / Unresolved.

    ``services`` is the app's ``PUSH_SERVICES``; ``allow_local_http`` (testing mode only)
    lets plain http reach the tests' push service on this machine; ``require_https`` is for
    a new subscription (the scheme of a kept one was checked when it came)."""
    if _UNSAFE.search(url):
        raise Refused("unexpected characters in the URL")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname or ""
    except ValueError as error:
        raise Refused(f"not a URL: {error}") from None
    if parts.scheme not in ("https", "http") or not hostname:
        raise Refused("not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL")
    if port == 0:
        raise Refused("port 0")
    port = port or (443 if parts.scheme == "https" else 80)
    if allow_local_http and parts.scheme == "http" and hostname.lower() in LOCAL_HOSTS:
        return Destination("http", hostname.lower(), port)
    if require_https and parts.scheme != "https":
        raise Refused("not https")
    host = normalize_host(hostname)
    if trusted(host, services):
        return Destination(parts.scheme, host, port)
    if "*" not in services:
        raise Refused(f"{host} is not an allowed push service")
    if _is_address(host) or "." not in host:
        raise Refused(f"{host} is an address or a local name, not a push service's name")
    addresses = resolve(host, port)
    internal = [a for a in addresses if not public(ip_address(a))]
    if internal:
        raise Refused(f"{host} resolves to an address that is not public ({internal[0]})")
    return Destination(parts.scheme, host, port, addresses[:ADDRESSES_MAX])


def _is_address(host: str) -> bool:
    return ":" in host or ipv4_literal(host) is not None
