"""TLS: a CA bundle from the Secret is trusted, verification is off only when asked."""

import asyncio
import datetime
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dms_operator.clients.dms.errors import DMSTLSVerificationError, DMSTransportError
from dms_operator.clients.dms.http import TLSConfig, build_verify
from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.settings import OperatorSettings

from .fakes import RecordingSleep, credentials


@dataclass(frozen=True)
class Pki:
    ca_pem: str
    server_cert_pem: bytes
    server_key_pem: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def pki() -> Pki:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("dms-test-ca"))
        .issuer_name(_name("dms-test-ca"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Pki(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM).decode(),
        server_cert_pem=server_cert.public_bytes(serialization.Encoding.PEM),
        server_key_pem=server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


async def _answer_login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reply to one HTTP/1.1 request with a successful DMS login."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        await reader.readexactly(length)
        body = json.dumps({"email": "ops@example.com", "orgMemberships": []}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\n"
            b"Authorization: Bearer opaque-token\r\n"
            b"Content-Type: application/vnd.vmware.dms-v1+json\r\n"
            b"Connection: close\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass  # the client rejected our certificate and hung up
    finally:
        writer.close()


@pytest.fixture
async def https_endpoint(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    # httpx honours proxy variables; the test server is only reachable directly.
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    cert = tmp_path / "server.crt"
    key = tmp_path / "server.key"
    cert.write_bytes(pki.server_cert_pem)
    key.write_bytes(pki.server_key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = await asyncio.start_server(_answer_login, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def test_ca_pem_builds_verifying_context(pki: Pki) -> None:
    verify = build_verify(TLSConfig(ca_pem=pki.ca_pem))

    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED
    assert verify.check_hostname is True
    subjects = [cert["subject"] for cert in verify.get_ca_certs()]
    assert subjects == [((("commonName", "dms-test-ca"),),)]


def test_insecure_turns_verification_off() -> None:
    verify = build_verify(TLSConfig(insecure_skip_verify=True))

    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_NONE
    assert verify.check_hostname is False


def test_default_keeps_httpx_verification() -> None:
    assert build_verify(TLSConfig()) is True


def test_tls_config_ignores_ca_when_insecure(pki: Pki) -> None:
    config = TLSConfig.from_credentials(
        credentials(ca_pem=pki.ca_pem, insecure_skip_tls_verify=True)
    )

    assert config == TLSConfig(ca_pem=None, insecure_skip_verify=True)


async def _login(endpoint: str, **changes: object) -> int:
    settings = OperatorSettings(dms_path_prefix="/provider", dms_retry_attempts=1)
    pool = DMSClientPool(settings, sleep=RecordingSleep())
    try:
        session = pool.session_for(credentials(endpoint=endpoint, **changes))
        info = await session.session_info()
    finally:
        await pool.aclose()
    return len(info.org_memberships)


async def test_https_with_ca_from_secret(https_endpoint: str, pki: Pki) -> None:
    assert await _login(https_endpoint, ca_pem=pki.ca_pem) == 0


async def test_https_without_ca_is_rejected(https_endpoint: str) -> None:
    with pytest.raises(DMSTransportError, match="CERTIFICATE_VERIFY_FAILED"):
        await _login(https_endpoint)


async def test_https_insecure_skips_verification(https_endpoint: str) -> None:
    assert await _login(https_endpoint, insecure_skip_tls_verify=True) == 0


async def test_untrusted_certificate_not_retried(https_endpoint: str) -> None:
    settings = OperatorSettings(dms_path_prefix="/provider", dms_retry_attempts=3)
    sleep = RecordingSleep()
    pool = DMSClientPool(settings, sleep=sleep)
    try:
        session = pool.session_for(credentials(endpoint=https_endpoint))
        with pytest.raises(DMSTLSVerificationError) as raised:
            await session.session_info()
    finally:
        await pool.aclose()

    assert raised.value.retryable is False
    assert sleep.delays == []
