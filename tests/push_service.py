"""A push service of our own, on 127.0.0.1, for the tests of the push relay.

It is a real HTTP server (werkzeug in a thread) that does what a browser's push service
does with a message: it checks the VAPID ``Authorization`` header (the JWT verifies with
the app's public key, ``aud`` is its own origin, ``exp`` is in the future), the ``TTL``
and ``Content-Encoding`` headers, and decrypts the body with the private key of the
device (generated here, as a browser would) — then answers what the test asked for.

It listens on 127.0.0.1 over http, or over https under a name of the test's choice with a
certificate of its own (``tls_for``): a test then makes the app resolve that name.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from py_vapid import jwt
from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    def subscription_json(self) -> dict:
        """What ``PushSubscription.toJSON()`` gives in a browser."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


def declarative(message) -> dict:
    """The notification of a declarative Web Push message, checked as the W3C Push API's
    parser does (a browser that understands it shows it without a service worker); and, as
    every payload of ours, without health data: the words are one of Carnet's few fixed
    sentences, the link goes to Carnet. Raises ValueError otherwise."""
    if not isinstance(message, dict) or message.get("web_push") != 8030:
        raise ValueError("not a declarative push message (web_push: 8030)")
    shown = message.get("notification")
    if not isinstance(shown, dict):
        raise ValueError("notification is not a map")
    title, navigate = shown.get("title"), shown.get("navigate")
    if not isinstance(title, str) or not title:
        raise ValueError("a notification needs a title")
    if not isinstance(navigate, str) or not navigate.startswith(("http://", "https://")):
        raise ValueError("a notification needs an absolute URL to navigate to")
    for name, kind in (("body", str), ("lang", str), ("tag", str), ("silent", bool)):
        if name in shown and not isinstance(shown[name], kind):
            raise ValueError(f"{name} is not a {kind.__name__}")
    if shown.get("dir", "auto") not in ("auto", "ltr", "rtl"):
        raise ValueError("dir is auto, ltr or rtl")
    if "mutable" in message and not isinstance(message["mutable"], bool):
        raise ValueError("mutable is a boolean")
    data = shown.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise ValueError("data.id (the notification's id, shown once) is missing")
    if not navigate.endswith(data.get("url", "")) or set(data) != {"id", "url"}:
        raise ValueError("data holds the id and the link, nothing else")
    extra = set(message) - {"web_push", "notification", "mutable", "app_badge"}
    if extra or set(shown) - {"title", "body", "navigate", "tag", "lang", "dir", "silent",
                              "data"}:
        raise ValueError(f"more than a notification: {sorted(extra)}")
    return shown


def message_id(payload: dict) -> int:
    """The notification id a message carries (the service worker shows each id once)."""
    return payload["notification"]["data"]["id"]


@dataclass
class Received:
    """One message the push service accepted (or answered), decrypted."""

    token: str
    headers: dict[str, str]
    claims: dict
    payload: dict | None
    status: int


@dataclass
class PushService:
    """The server; ``answer(device, 429, {"Retry-After": "2"})`` queues the next replies."""

    vapid_public_key: str
    origin: str = ""  # set by start()
    received: list[Received] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # of every request, whatever its answer
    problems: list[str] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)
    answers: dict[str, deque] = field(default_factory=dict)
    # Called with each decrypted payload before it is answered (the sender waits meanwhile).
    gate: Callable[[dict], None] | None = None
    _verified: dict[str, dict] = field(default_factory=dict)
    disconnected: int = 0  # requests whose sender went away before the end of their body

    def start(self, tls: ssl.SSLContext | None = None, name: str = "127.0.0.1") -> PushService:
        """Listen on 127.0.0.1; with ``tls``, at ``https://name:port``."""
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True,
                                  request_handler=_Quiet, ssl_context=tls)
        scheme = "https" if tls else "http"
        self.origin = f"{scheme}://{name}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_device(self) -> Device:
        token = secrets.token_urlsafe(24)
        device = Device(token, ec.generate_private_key(ec.SECP256R1()), os.urandom(16),
                        f"{self.origin}/push/{token}")
        self.devices[token] = device
        self.answers[token] = deque()
        return device

    def answer(self, device: Device, status: int, headers: dict | None = None) -> None:
        self.answers[device.token].append((status, headers or {}))

    def payloads(self, device: Device | None = None) -> list[dict]:
        return [r.payload for r in self.received
                if r.status == 201 and (device is None or r.token == device.token)]

    # -- the service ---------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.paths.append(request.path)
        token = request.path.rsplit("/", 1)[-1]
        device = self.devices.get(token)
        if request.method != "POST" or device is None:
            return Response(status=404)(environ, start_response)
        headers = {key.lower(): value for key, value in request.headers.items()}
        try:
            body = request.get_data()
        except ClientDisconnected:  # the sender died mid-request (a test kills it): nothing
            self.disconnected += 1  # arrived, as at a real push service
            return Response(status=400)(environ, start_response)
        try:
            claims = self._check(headers)
            content = http_ece.decrypt(body, private_key=device.private_key,
                                       auth_secret=device.auth, version="aes128gcm")
            payload = json.loads(content)
            declarative(payload)
        except Exception as error:  # a test failure, reported by the test
            self.problems.append(f"{type(error).__name__}: {error}")
            return Response(status=400)(environ, start_response)
        if self.gate is not None:
            try:
                self.gate(payload)
            except Exception as error:  # a test failure, reported by the test
                self.problems.append(f"gate: {type(error).__name__}: {error}")
        status, extra = self.answers[token].popleft() if self.answers[token] else (201, {})
        self.received.append(Received(token, headers, claims, payload, status))
        return Response(status=status, headers=extra)(environ, start_response)

    def _check(self, headers: dict[str, str]) -> dict:
        scheme, _, params = headers.get("authorization", "").partition(" ")
        assert scheme == "vapid", f"Authorization scheme {scheme!r}"
        values = dict(part.strip().split("=", 1) for part in params.split(","))
        assert values["k"] == self.vapid_public_key, "signed with another key"
        # The relay reuses one token per push service: its signature is verified the first
        # time (raises InvalidSignature), its claims checked on every message.
        if values["t"] not in self._verified:
            self._verified[values["t"]] = jwt.decode(values["t"], values["k"])
        claims = self._verified[values["t"]]
        assert claims["aud"] == self.origin, f"aud {claims['aud']!r}"
        assert claims["exp"] > time.time(), "expired token"
        assert claims["exp"] < time.time() + 86400 * 2, "token lives too long"  # clocks moved
        assert claims["sub"].startswith(("mailto:", "https://")), "sub"
        assert int(headers.get("ttl", "0")) > 0, "TTL"
        assert headers.get("content-encoding") == "aes128gcm", "Content-Encoding"
        return claims


def tls_for(name: str, directory: Path) -> tuple[ssl.SSLContext, str]:
    """A server context with a self-signed certificate for ``name``, and the path of that
    certificate (``name``.pem, its key beside it in ``name``.key): the one a client must
    trust to reach it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    certificate_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_path, key_path)
    return context, str(certificate_path)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass
