"""The worker's HTTP client: many messages encrypted and in flight at once, only to checked
addresses, never a redirect.

libcurl (pycurl's multi interface) sends them, in a thread of its own: the worker hands it
a batch and waits for the batch's answers while it prepares the next one. HTTP is done in
C, outside the interpreter's lock, which leaves the worker's Python for what only it can do
(the database, the encryption): a request took 127–165 µs of the worker's CPU with aiohttp
on an asyncio loop, 39–61 µs with curl (README, "Performance"). Each message is encrypted
for its device (aes128gcm, by pywebpush) in that thread too, just before it goes, while the
worker's thread waits for the database.

- Before a message goes, the worker checks its URL with ``endpoints.destination`` (the
  check of a new subscription, made again: DNS may have changed since); Refused and
  Unresolved never reach this module.
- A host that is not trusted as configured is *pinned*: curl is told the addresses just
  checked (``RESOLVE``) instead of asking DNS a second time, which a DNS server answering
  differently (DNS rebinding) would turn to an internal address; and every socket curl
  opens passes through ``_open``, which refuses any other address. The request still says
  ``Host: <name>``, and TLS still sends the name (SNI) and verifies the certificate
  against it.
- Redirects are never followed: a 3xx is the push service's answer (a failed delivery),
  not a new address to call. Only http and https are spoken.
- Connections are kept alive, shared by every message to one push service, with at most
  ``per_service`` messages in flight to one of them and ``concurrency`` in all. A proxy
  named in the environment (``https_proxy``…) is used; it resolves the names.
"""

from __future__ import annotations

import math
import os
import queue
import socket
import threading
import weakref
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.request import getproxies, proxy_bypass_environment

import certifi
import pycurl
from pywebpush import WebPusher, WebPushException

from .endpoints import Destination

# How long the sending thread sleeps at most between two looks at new batches, while
# messages are in flight (each answer wakes it sooner).
TICK = 0.005
# No longer than that in all for one message, whatever trickles in.
PATIENCE = 3


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


class InvalidURL(Exception):
    """curl cannot send to this URL (not one no retry will mend)."""


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


_SSL = {getattr(pycurl, name) for name in dir(pycurl) if name.startswith("E_SSL")} | {
    pycurl.E_PEER_FAILED_VERIFICATION}
_NOT_A_URL = {pycurl.E_URL_MALFORMAT, pycurl.E_UNSUPPORTED_PROTOCOL}


def _error(code: int) -> Exception:
    if code == pycurl.E_OPERATION_TIMEDOUT:
        return Unreachable("Timeout")
    if code in _SSL:
        return Unreachable("SSLError")
    if code in _NOT_A_URL:
        return InvalidURL(f"curl error {code}")
    return Unreachable("ConnectionError")


def _open(allowed: frozenset | None, purpose: int, address) -> socket.socket | int:
    """curl's OPENSOCKETFUNCTION: a socket for ``address`` if it is one the worker checked
    for this message's host (any, for a trusted host or through a proxy)."""
    if allowed is not None and ip_address(address.addr[0].split("%")[0]) not in allowed:
        return pycurl.SOCKET_BAD
    return socket.socket(address.family, address.socktype, address.protocol)


class Transport:
    """A thread with a curl multi handle (see the module's docstring). It stops when it is
    no longer referenced, or on ``close``."""

    def __init__(self, concurrency: int, per_service: int,
                 timeout: tuple[float, float]) -> None:  # the worker's Settings say
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        sender = _Sender(self.inbox, max(1, concurrency), max(1, per_service), timeout)
        self.thread = threading.Thread(target=sender.run, name="carnet-push", daemon=True)
        self.thread.start()
        self._finalizer = weakref.finalize(self, _stop, self.inbox, self.thread)

    def send(self, messages: list[Message]) -> Future:
        """Start sending ``messages``; the returned future is done when each has its answer
        or its error."""
        if not self.thread.is_alive():  # stopped by a fault: better to fail than to wait
            raise RuntimeError("the push sending thread has stopped")
        done: Future = Future()
        self.inbox.put((messages, done))
        return done

    def close(self) -> None:
        self._finalizer()


def _stop(inbox: queue.SimpleQueue, thread: threading.Thread) -> None:
    inbox.put(None)
    if thread is not threading.current_thread():
        thread.join(timeout=5)


class _Batch:
    """A batch in the sending thread: how many of its messages have no answer yet."""

    def __init__(self, left: int, done: Future) -> None:
        self.left, self.done = left, done

    def one_less(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.done.set_result(None)


class _Sender:
    """The sending thread's state: waiting messages by push service, curl handles in
    flight."""

    def __init__(self, inbox: queue.SimpleQueue, concurrency: int, per_service: int,
                 timeout: tuple[float, float]) -> None:
        self.inbox = inbox
        self.concurrency, self.per_service = concurrency, per_service
        self.connect_ms = int(timeout[0] * 1000)
        self.read_s = max(1, math.ceil(timeout[1]))
        self.total_ms = int((timeout[0] + PATIENCE * timeout[1]) * 1000)
        self.multi = pycurl.CurlMulti()
        self.multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, per_service)
        self.multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, concurrency)
        self.waiting: dict[tuple[str, int], deque[tuple[Message, _Batch]]] = {}
        self.flying: dict[tuple[str, int], int] = {}
        self.running: dict[pycurl.Curl, tuple[Message, _Batch, list[bytes]]] = {}
        self.idle: list[pycurl.Curl] = []
        self.proxies = {name: value for name, value in getproxies().items() if value}

    def run(self) -> None:
        try:
            while True:
                if not self._take(block=not self.running and not self.waiting):
                    return
                self._start()
                self._perform()
                if self.running and not self._startable():
                    wait = self.multi.timeout()
                    self.multi.select(TICK if wait < 0 else min(TICK, wait / 1000))
        finally:  # stopped: what was not sent has no answer
            self._take(block=False)
            unsent = [(message, batch) for message, batch, _ in self.running.values()]
            unsent += [item for waiting in self.waiting.values() for item in waiting]
            for message, batch in unsent:
                message.error = Unreachable("ConnectionError")
                batch.one_less()
            for handle in [*self.running, *self.idle]:
                handle.close()
            self.multi.close()

    def _take(self, block: bool) -> bool:
        """New batches, into the waiting queues; False once asked to stop."""
        while True:
            try:
                item = self.inbox.get(block=block)
            except queue.Empty:
                return True
            if item is None:
                return False
            messages, done = item
            batch = _Batch(len(messages), done)
            if not messages:
                done.set_result(None)
            for message in messages:
                key = (message.destination.host, message.destination.port)
                self.waiting.setdefault(key, deque()).append((message, batch))
            block = False

    def _startable(self) -> bool:
        return len(self.running) < self.concurrency and any(
            queue_ and self.flying.get(key, 0) < self.per_service
            for key, queue_ in self.waiting.items())

    def _start(self) -> None:
        """As many waiting messages as the limits allow, each encrypted as it goes."""
        for key, waiting in list(self.waiting.items()):
            while waiting and self.flying.get(key, 0) < self.per_service and (
                    len(self.running) < self.concurrency):
                message, batch = waiting.popleft()
                try:
                    self._add(message, batch)
                except Exception as error:  # noqa: BLE001 — the worker decides what it means
                    message.error = error
                    batch.one_less()
            if not waiting:
                del self.waiting[key]

    def _add(self, message: Message, batch: _Batch) -> None:
        try:
            body = WebPusher({"endpoint": message.url, "keys": message.keys}).encode(
                message.plaintext, "aes128gcm")["body"]
        except (WebPushException, ValueError, TypeError) as error:  # keys not a P-256 point…
            raise WebPushException(f"unusable keys: {type(error).__name__}") from None
        handle = self.idle.pop() if self.idle else self._handle()
        where = message.destination
        proxy = self._proxy(where)
        handle.setopt(pycurl.PROXY, proxy)
        pinned = bool(where.addresses) and not proxy  # through a proxy, the proxy resolves
        handle.allowed = frozenset(map(ip_address, where.addresses)) if pinned else None
        if pinned:
            # IPv6 addresses in brackets, in the order the worker checked them.
            handle.setopt(pycurl.RESOLVE, [f"{where.host}:{where.port}:" + ",".join(
                f"[{a}]" if ":" in a else a for a in where.addresses)])
        else:  # not the pins of the handle's last message
            handle.unsetopt(pycurl.RESOLVE)
        handle.setopt(pycurl.URL, message.url)
        handle.setopt(pycurl.POSTFIELDS, body)
        handle.setopt(pycurl.HTTPHEADER, [f"{name}: {value}" for name, value in
                                          message.headers.items()] + _HEADERS)
        handle.setopt(pycurl.CAINFO, os.environ.get("SSL_CERT_FILE") or certifi.where())
        lines: list[bytes] = []
        handle.setopt(pycurl.HEADERFUNCTION, lines.append)
        self.multi.add_handle(handle)
        self.running[handle] = (message, batch, lines)
        key = (where.host, where.port)
        self.flying[key] = self.flying.get(key, 0) + 1

    def _proxy(self, where: Destination) -> str:
        """The proxy a message to ``where`` goes through ("": none), from the environment
        as Python reads it (``https_proxy``, ``all_proxy``, ``no_proxy``…). curl is told it
        rather than left to read the environment its own way, so that both agree on which
        messages are pinned."""
        proxy = self.proxies.get(where.scheme) or self.proxies.get("all", "")
        if proxy and proxy_bypass_environment(where.host, self.proxies):
            return ""
        return proxy

    def _handle(self) -> pycurl.Curl:
        handle = pycurl.Curl()
        handle.allowed = None
        handle.setopt(pycurl.NOSIGNAL, 1)  # in a thread: no alarm for timeouts
        handle.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        handle.setopt(pycurl.FOLLOWLOCATION, 0)
        handle.setopt(pycurl.CONNECTTIMEOUT_MS, self.connect_ms)
        # Nothing received for ``read`` seconds: given up (as a socket's read timeout).
        handle.setopt(pycurl.LOW_SPEED_LIMIT, 1)
        handle.setopt(pycurl.LOW_SPEED_TIME, self.read_s)
        handle.setopt(pycurl.TIMEOUT_MS, self.total_ms)
        handle.setopt(pycurl.OPENSOCKETFUNCTION,
                      lambda purpose, address: _open(handle.allowed, purpose, address))
        # The answer's body is read (so that the connection can serve again) and dropped:
        # ``len`` says every byte was taken.
        handle.setopt(pycurl.WRITEFUNCTION, len)
        return handle

    def _perform(self) -> None:
        while self.multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        while True:
            left, succeeded, failed = self.multi.info_read()
            for handle in succeeded:
                message, batch, lines = self._done(handle)
                status = handle.getinfo(pycurl.RESPONSE_CODE)
                message.answer = Answer(status, _retry_after(lines) if status >= 300 else None)
                batch.one_less()
            for handle, code, _text in failed:
                message, batch, _ = self._done(handle)
                message.error = _error(code)
                batch.one_less()
            if not left:
                return

    def _done(self, handle: pycurl.Curl) -> tuple[Message, _Batch, list[bytes]]:
        self.multi.remove_handle(handle)
        message, batch, lines = self.running.pop(handle)
        self.flying[(message.destination.host, message.destination.port)] -= 1
        self.idle.append(handle)
        return message, batch, lines


# Curl's own headers a push service has no use for; a body of bytes, as the encryption made.
_HEADERS = ["Content-Type: application/octet-stream", "Expect:", "Accept:"]


def _retry_after(lines: list[bytes]) -> str | None:
    """The last Retry-After among an answer's header lines."""
    found = None
    for line in lines:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"retry-after":
            found = value.strip().decode("latin-1")
    return found
