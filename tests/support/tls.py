"""A throw-away certificate authority and an HTTPS / forward-proxy aiohttp server on loopback, for tests.

``make_pki(directory)`` writes a self-signed CA, a server certificate for 127.0.0.1 and
localhost, and a client certificate, all signed by that CA (``cryptography``), and returns their
paths. ``TlsServer`` serves an aiohttp app over TLS; ``ForwardProxy`` is a tiny plain-HTTP
forward proxy (absolute-form requests, no CONNECT) that records what passed through it.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sandbox.api_server import BackgroundServer


@dataclass(frozen=True)
class Pki:
    """Paths of the CA certificate and the server's and client's certificate and key (PEM)."""

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def make_pki(directory: Path) -> Pki:
    """Write a CA and a server and a client certificate signed by it under ``directory``; return the paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("deferrable-sensors test CA"))
        .issuer_name(_name("deferrable-sensors test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, _ = _write(directory, "ca", ca, ca_key)

    def leaf(common: str, usage: x509.ObjectIdentifier, names: list[x509.GeneralName]) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return _write(directory, common, builder.sign(ca_key, hashes.SHA256()), key)

    server = leaf(
        "server",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    client = leaf("client", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return Pki(ca_path, server[0], server[1], client[0], client[1])


def server_context(pki: Pki, *, require_client_cert: bool = False) -> ssl.SSLContext:
    """Return the server side's TLS context; ``require_client_cert``: refuse clients without one from the CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.load_verify_locations(pki.ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class TlsServer(BackgroundServer):
    """A BackgroundServer speaking HTTPS with ``context``."""

    def __init__(self, app: web.Application, context: ssl.SSLContext) -> None:
        super().__init__(app)
        self._context = context

    def url(self, path: str = "/") -> str:
        return f"https://{self.host}:{self.port}{path}"

    async def _start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port, ssl_context=self._context).start()
        self.port = self._runner.addresses[0][1]


class ForwardProxy(BackgroundServer):
    """A plain-HTTP forward proxy on loopback; ``seen`` lists (absolute URL, Proxy-Authorization) passed through."""

    _HOP = frozenset({"proxy-authorization", "proxy-connection", "connection", "keep-alive", "host"})

    def __init__(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        super().__init__(app)
        self.seen: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    async def _forward(self, request: web.Request) -> web.Response:
        with self._lock:
            self.seen.append((str(request.url), request.headers.get("Proxy-Authorization")))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in self._HOP}
        async with (
            aiohttp.ClientSession() as session,
            session.request(request.method, request.url, headers=headers, data=await request.read()) as answer,
        ):
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)
