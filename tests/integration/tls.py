"""A certificate authority made for one test run, and a TLS front for the embedded broker.

The embedded broker (Tansu 0.6) takes `--cert`/`--key` but never wraps its connections in
TLS (its acceptor is built and not used), so the tests put a TLS front before it: the
clients speak TLS, with their certificates checked against the authority, and the front
passes the bytes to the broker on the loopback. The broker advertises the front's address,
so every connection a client opens after the bootstrap goes through TLS too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import ssl
import threading
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.edge.embedded import free_port

VALIDITY = dt.timedelta(days=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class Authority:
    """A certificate authority in `folder`: `ca.pem`, and the certificates it signs."""

    def __init__(self, folder: Path, name: str = "test authority") -> None:
        """Make the authority's key and self-signed certificate."""
        self.folder = folder
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = _name(name)
        now = dt.datetime.now(dt.UTC)
        self._certificate = (
            x509.CertificateBuilder()
            .subject_name(self._name)
            .issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(self._certificate.public_bytes(serialization.Encoding.PEM))

    def _issue(self, common_name: str, usage: x509.ObjectIdentifier) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if usage == ExtendedKeyUsageOID.SERVER_AUTH:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        certificate = builder.sign(self._key, hashes.SHA256())
        cert_file = self.folder / f"{common_name}.pem"
        key_file = self.folder / f"{common_name}.key"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
        return cert_file, key_file

    def server(self) -> tuple[Path, Path]:
        """A broker's certificate and key, for 127.0.0.1 and localhost."""
        return self._issue("broker", ExtendedKeyUsageOID.SERVER_AUTH)

    def client(self, identity: str) -> tuple[Path, Path]:
        """A client's certificate (CN=`identity`) and key, for mutual TLS."""
        return self._issue(identity, ExtendedKeyUsageOID.CLIENT_AUTH)


class TlsFront:
    """A TLS listener on a free loopback port that passes every connection to `backend`.

    With `mutual`, a client must present a certificate the authority signed (mutual TLS);
    the common names presented are kept in `identities`. Runs its own event loop in a
    thread, so it serves a hub in another process and adapters in the test's own loop alike.
    """

    def __init__(self, authority: Authority, backend_port: int, *, mutual: bool = False) -> None:
        """Prepare the front; `start()` or `with` opens it."""
        cert, key = authority.server()
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)
        if mutual:
            self._context.load_verify_locations(authority.ca_file)
            self._context.verify_mode = ssl.CERT_REQUIRED
        self.backend_port = backend_port
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.identities: set[str] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> str:
        """Listen; returns the address clients bootstrap from."""
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(
                self._serve, "127.0.0.1", self.port, ssl=self._context, ssl_handshake_timeout=10
            ),
            self._loop,
        ).result(timeout=10)
        return self.address

    def stop(self) -> None:
        """Close the listener and the loop."""
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peercert")
        if peer:
            self.identities.update(
                value for rdn in peer["subject"] for key, value in rdn if key == "commonName"
            )
        try:
            backend_reader, backend_writer = await asyncio.open_connection(
                "127.0.0.1", self.backend_port
            )
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pipe(reader, backend_writer), _pipe(backend_reader, writer), return_exceptions=True
        )

    def __enter__(self) -> str:
        """Start; the address is the context value."""
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            sink.close()
