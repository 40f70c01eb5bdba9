"""Client ID metadata documents over real TLS, for end-to-end tests.

A document lives at an https URL on a public host; a loopback-only test machine has neither. So the
test runs an HTTPS server on 127.0.0.1 with a certificate for `cimd.spark.test` from a CA made for
the run, and the server under test fetches with django-oauth-toolkit's own SSRF-hardened transport
(`SafeMetadataFetcher`: the certificate checked against the trusted CAs, which the server is given
as `SSL_CERT_FILE`; SNI and Host the document's host; no redirects; the Content-Type and size
checks) and the product's policy (`PolicyMetadataFetcher`). The one thing replaced, by
`TlsLoopbackFetcher`, is the address check: `cimd.spark.test` resolves to 127.0.0.1, which DOT
refuses for any real host.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from oauth2_provider import cimd

from oauth_server.client_metadata import PolicyMetadataFetcher

TEST_HOST = "cimd.spark.test"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate for TEST_HOST, server key), in PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Spark Portal test documents CA"))
        .issuer_name(_name("Spark Portal test documents CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(TEST_HOST))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(TEST_HOST)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem(key))
    return paths


def serve_documents(documents: dict[str, Any], cert: Path, key: Path, served: list[str]) -> ThreadingHTTPServer:
    """An HTTPS server on 127.0.0.1 answering GET <path> with `documents[path]` as JSON (else 404);
    each path it answered is appended to `served`."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            document = documents.get(self.path)
            served.append(self.path)
            body = json.dumps(document).encode()
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _loopback_for_test_host(original: Callable[[str, int], list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(hostname: str, port: int) -> list[str]:
        return ["127.0.0.1"] if hostname == TEST_HOST else original(hostname, port)

    return resolve


class TlsLoopbackFetcher(PolicyMetadataFetcher):
    def fetch_document(self, client_id: str) -> tuple[dict[str, Any], int]:
        resolve = _loopback_for_test_host(cimd._resolve_and_validate)
        with mock.patch.object(cimd, "_resolve_and_validate", resolve):
            return super().fetch_document(client_id)
