"""The worker's HTTP session: it reaches only checked push endpoints, and never a redirect.

pywebpush POSTs with ``session.post`` itself, so the rules live in the session:

- each request's URL goes through ``endpoints.destination`` first (the check of a new
  subscription, made again: DNS may have changed since); Refused and Unresolved come out
  of ``send`` as they are;
- a host that is not trusted as configured is *pinned*: the connection goes to an address
  just checked, never to a second resolution of the name, which a DNS server answering
  differently the second time (DNS rebinding) would turn to an internal address. The
  request still says ``Host: <name>``, and TLS still sends the name (SNI) and verifies the
  certificate against it;
- redirects are never followed: a 3xx is the push service's answer (a failed delivery),
  not a new address to call.
"""

from __future__ import annotations

import os

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from . import endpoints


class PushSession(requests.Session):
    """A requests session for push services (see the module's docstring)."""

    def __init__(self, services: tuple[str, ...], allow_local_http: bool = False,
                 connections: int = 10) -> None:
        super().__init__()
        self.services = services
        self.allow_local_http = allow_local_http
        # Without a proxy, the environment is read once, here, not for every message
        # (requests looks it up per request otherwise: 5 % of a worker's time). With one,
        # requests keeps reading it, for its no_proxy rules.
        if not any(value for name, value in requests.utils.getproxies().items()
                   if name != "no"):
            self.trust_env = False
        # Kept-alive connections per push-service address, as many as sends in flight.
        adapter = _PinnedAdapter(pool_connections=4, pool_maxsize=max(1, connections))
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        kwargs["allow_redirects"] = False
        if not self.trust_env and kwargs.get("verify") is True:
            # A territory's own certificate authority, as requests reads it (cheap: no
            # proxy lookup).
            kwargs["verify"] = (os.environ.get("REQUESTS_CA_BUNDLE")
                                or os.environ.get("CURL_CA_BUNDLE") or True)
        destination = endpoints.destination(request.url, self.services, self.allow_local_http)
        if not destination.addresses:
            return super().send(request, **kwargs)  # trusted as configured
        request.headers["Host"] = destination.host_header
        *others, last = destination.addresses
        for address in others:
            try:
                return self._pinned(request, destination.host, address, kwargs)
            except requests.ConnectionError as error:
                if not _not_connected(error):
                    raise
                # Nothing was sent: the next checked address may be tried.
        return self._pinned(request, destination.host, last, kwargs)

    def _pinned(self, request: requests.PreparedRequest, name: str, address: str,
                kwargs: dict) -> requests.Response:
        request.carnet_pin = (name, address)  # read by _PinnedAdapter
        return super().send(request, **kwargs)


def _not_connected(error: requests.ConnectionError) -> bool:
    """Whether ``error`` came before any connection (refused, unreachable, timed out)."""
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(error, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)


class _PinnedAdapter(HTTPAdapter):
    """Opens the connection of a pinned request to its checked address."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        pin = getattr(request, "carnet_pin", None)
        if pin is not None:
            name, address = pin
            host_params["host"] = address  # a pool per address: its connections go there
            if host_params["scheme"] == "https":
                pool_kwargs["server_hostname"] = name  # SNI
                pool_kwargs["assert_hostname"] = name  # the certificate is for the name
        return host_params, pool_kwargs
