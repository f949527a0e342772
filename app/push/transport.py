"""The worker's HTTP client: many messages encrypted and in flight on one asyncio loop, only
to checked addresses, never a redirect.

Sending was most of a worker's time once its database work was batched: with aiohttp on
an asyncio loop, a worker spends 1.5 ms of CPU per notification where requests in threads
took 2.6 ms (README, "Performance"). The loop runs in a thread of its own; the worker hands
it a batch and waits for the batch's answers while it prepares the next one. Each message
is encrypted for its device (aes128gcm, by pywebpush) on the loop too, while the worker's
thread waits for the database.

- Before a message goes, the worker checks its URL with ``endpoints.destination`` (the
  check of a new subscription, made again: DNS may have changed since); Refused and
  Unresolved never reach this module.
- A host that is not trusted as configured is *pinned*: the connection goes to an address
  just checked, never to a second resolution of the name, which a DNS server answering
  differently the second time (DNS rebinding) would turn to an internal address. The
  request still says ``Host: <name>``, and TLS still sends the name (SNI) and verifies the
  certificate against it.
- Redirects are never followed: a 3xx is the push service's answer (a failed delivery),
  not a new address to call.
- Connections are kept alive, a pool per push service, with at most ``per_service``
  messages in flight to one of them and ``concurrency`` in all.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import threading
import weakref
from collections import deque
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.request import getproxies

import aiohttp
import certifi
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from pywebpush import WebPusher, WebPushException

from .endpoints import Destination


@dataclass(frozen=True)
class Answer:
    """What a push service answered (all the worker reads of it)."""

    status: int
    retry_after: str | None = None


class Unreachable(Exception):
    """No answer: ``reason`` is what the delivery's ``last_error`` says (``ConnectionError``,
    ``SSLError``, ``Timeout``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Message:
    """One message to send, and then its answer or why there is none."""

    url: str
    destination: Destination
    keys: dict[str, str]  # the device's: p256dh and auth
    plaintext: bytes
    headers: dict[str, str]
    answer: Answer | None = None
    error: Exception | None = None


class _Pinned(AbstractResolver):
    """Answers with the addresses the worker checked for a name; a trusted name is
    resolved the ordinary way."""

    def __init__(self) -> None:
        self.pins: dict[tuple[str, int], tuple[str, ...]] = {}
        self.ordinary = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        addresses = self.pins.get((host, port))
        if addresses is None:
            return await self.ordinary.resolve(host, port, family)
        return [ResolveResult(hostname=host, host=address, port=port,
                              family=socket.AF_INET6 if ip_address(address).version == 6
                              else socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)
                for address in addresses]

    async def close(self) -> None:
        await self.ordinary.close()


class Transport:
    """An asyncio loop in a thread, with one aiohttp session (see the module's docstring).
    It stops when it is no longer referenced, or on ``close``."""

    def __init__(self, concurrency: int = 64, per_service: int = 32,
                 timeout: tuple[float, float] = (5.0, 10.0)) -> None:
        self.loop = asyncio.new_event_loop()
        self.per_service = max(1, per_service)
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout[0],
                                             sock_read=timeout[1])
        self.contexts: dict[str, ssl.SSLContext] = {}
        thread = threading.Thread(target=self.loop.run_forever, name="carnet-push",
                                  daemon=True)
        thread.start()
        self.session = asyncio.run_coroutine_threadsafe(
            self._session(concurrency, per_service), self.loop).result()
        self._finalizer = weakref.finalize(self, _stop, self.loop, self.session, thread)

    async def _session(self, concurrency: int, per_service: int) -> aiohttp.ClientSession:
        # Without a proxy in the environment, it is not read for every message; with one,
        # messages go through it (it resolves the names).
        proxied = any(value for name, value in getproxies().items() if name != "no")
        self.resolver = _Pinned()  # here: aiohttp's resolver takes the running loop
        connector = aiohttp.TCPConnector(limit=max(1, concurrency),
                                         limit_per_host=max(1, per_service),
                                         resolver=self.resolver, use_dns_cache=False)
        return aiohttp.ClientSession(connector=connector, trust_env=proxied, timeout=self.timeout,
                                     auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar())

    def send(self, messages: list[Message]) -> asyncio.Future:
        """Start sending ``messages``; the returned future is done when each has its answer
        or its error."""
        for message in messages:
            if message.destination.addresses:
                self.resolver.pins[(message.destination.host, message.destination.port)] = (
                    message.destination.addresses)
        tls = self._tls()
        return asyncio.run_coroutine_threadsafe(self._all(messages, tls), self.loop)

    async def _all(self, messages: list[Message], tls: ssl.SSLContext) -> None:
        # A few lanes per push service, each encrypting and sending its messages one after
        # the other: one lane encrypts while the others wait for their answers, and no
        # message waits in the connection pool's queue (which costs as much as a request).
        # The pool's limits stay the guarantee, whatever else is in flight.
        queues: dict[tuple[str, int], deque[Message]] = {}
        for message in messages:
            queues.setdefault((message.destination.host, message.destination.port),
                              deque()).append(message)
        await asyncio.gather(*(self._lane(queue, tls) for queue in queues.values()
                               for _ in range(min(self.per_service, len(queue)))))

    async def _lane(self, queue: deque[Message], tls: ssl.SSLContext) -> None:
        while queue:
            await self._one(queue.popleft(), tls)

    async def _one(self, message: Message, tls: ssl.SSLContext) -> None:
        try:
            # Encrypted here, on the loop, while the worker's thread waits for the database.
            body = WebPusher({"endpoint": message.url, "keys": message.keys}).encode(
                message.plaintext, "aes128gcm")["body"]
        except (WebPushException, ValueError, TypeError) as error:  # keys not a P-256 point…
            message.error = WebPushException(f"unusable keys: {type(error).__name__}")
            return
        try:
            async with self.session.post(
                    message.url, data=body, headers=message.headers,
                    allow_redirects=False, ssl=tls) as response:
                await response.read()  # the connection goes back to its pool
                message.answer = Answer(response.status, response.headers.get("Retry-After"))
        except (aiohttp.ClientSSLError, ssl.SSLError):
            message.error = Unreachable("SSLError")
        except (TimeoutError, aiohttp.ServerTimeoutError):
            message.error = Unreachable("Timeout")
        except aiohttp.InvalidURL as error:
            message.error = error
        except (aiohttp.ClientError, OSError):
            message.error = Unreachable("ConnectionError")

    def _tls(self) -> ssl.SSLContext:
        """Certificates checked against the authorities in ``SSL_CERT_FILE`` when the
        environment names one (a territory's own), else the usual public ones (certifi)."""
        authority = os.environ.get("SSL_CERT_FILE") or certifi.where()
        context = self.contexts.get(authority)
        if context is None:
            context = self.contexts[authority] = ssl.create_default_context(cafile=authority)
        return context

    def close(self) -> None:
        self._finalizer()


def _stop(loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession,
          thread: threading.Thread) -> None:
    if loop.is_closed():
        return

    async def close() -> None:
        await session.close()
        loop.stop()

    loop.call_soon_threadsafe(lambda: loop.create_task(close()))
    if thread is not threading.current_thread():
        thread.join(timeout=5)
        if not loop.is_running():
            loop.close()
