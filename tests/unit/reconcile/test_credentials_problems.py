"""Problems whose fix is in the credentials Secret: a rejected login and a DMS certificate
that fails TLS verification. Their messages name the Secret and the fix, never a password.

The TLS cases run the DMS client against a TLS server on 127.0.0.1, so the error chain
is the one httpx and OpenSSL produce.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from dms_operator.clients.dms import DMSAuthenticationError, DMSError, DMSTransportError
from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.models.common import ConditionStatus
from dms_operator.models.credentials import DMSCredentials
from dms_operator.reconcile.outcomes import (
    Problem,
    Retry,
    name_credentials_secret,
    problem_from_dms_error,
    transient,
)
from dms_operator.settings import OperatorSettings

PASSWORD = "S3cret!pass"
BODY = {
    "metadata": {"namespace": "team-a", "name": "orders"},
    "spec": {"credentialsSecretRef": {"name": "dms-login"}},
}
CA_FIX = "put the provider's CA bundle (PEM) under the key ca.crt in the credentials Secret"
SKIP_FIX = 'or set insecureSkipTLSVerify: "true" there for a test setup'


def verification_error(message: str, code: int) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_message = message
    error.verify_code = code
    return error


def transport_error_from(cause: BaseException) -> DMSTransportError:
    """A client error chained to `cause` the way the client raises it."""
    try:
        try:
            raise cause
        except BaseException as inner:
            raise DMSTransportError("DMS POST /session failed before a response arrived") from inner
    except DMSTransportError as error:
        return error


# Mapping


def test_certificate_error_in_chain() -> None:
    error = transport_error_from(verification_error("self-signed certificate", 18))

    problem = problem_from_dms_error(error, "logging in")

    assert problem.reason == "TLSVerificationFailed"
    assert problem.retry is Retry.BACKOFF
    assert problem.ready == ConditionStatus.FALSE
    assert "self-signed certificate" in problem.message


def test_certificate_error_from_message() -> None:
    error = DMSTransportError(
        "DMS GET /x failed before a response arrived (ConnectError: [SSL: "
        "CERTIFICATE_VERIFY_FAILED] certificate verify failed)"
    )

    assert problem_from_dms_error(error, "reading x").reason == "TLSVerificationFailed"


def test_other_transport_error_unavailable() -> None:
    error = transport_error_from(ConnectionRefusedError("refused"))

    problem = problem_from_dms_error(error, "reading x")

    assert problem.reason == "DMSUnavailable"
    assert problem.ready == ConditionStatus.UNKNOWN


def test_tls_fix_names_secret() -> None:
    error = transport_error_from(verification_error("unable to get local issuer certificate", 20))

    problem = name_credentials_secret(problem_from_dms_error(error, "logging in"), BODY)

    assert f"{CA_FIX} team-a/dms-login, {SKIP_FIX}" in problem.message
    assert problem.reason == "TLSVerificationFailed"
    assert problem.retry is Retry.BACKOFF


def test_name_mismatch_fix_names_endpoint() -> None:
    error = transport_error_from(verification_error("IP address mismatch", 64))

    problem = name_credentials_secret(problem_from_dms_error(error, "logging in"), BODY)

    assert "the key endpoint in the credentials Secret team-a/dms-login" in problem.message
    assert "ca.crt" not in problem.message


def test_login_fix_names_secret() -> None:
    error = DMSAuthenticationError(
        "DMS POST /session failed with HTTP 401: Bad credentials; check the DMS username and "
        "password"
    )

    problem = name_credentials_secret(problem_from_dms_error(error, "logging in"), BODY)

    assert problem.reason == "AuthenticationFailed"
    assert problem.message == (
        "logging in failed: DMS POST /session failed with HTTP 401: Bad credentials; correct "
        "username and password in the credentials Secret team-a/dms-login"
    )


def test_problem_without_secret_fix_unchanged() -> None:
    problem = transient("DMSUnavailable", "reading x failed")  # type: ignore[arg-type]

    assert name_credentials_secret(problem, BODY) is problem


def test_missing_secret_reference_still_explains() -> None:
    problem = Problem(
        "AuthenticationFailed",  # type: ignore[arg-type]
        "logging in failed",
        retry=Retry.BACKOFF,
        secret_fix="correct it in the credentials Secret {secret}",
    )

    named = name_credentials_secret(problem, {"metadata": {"namespace": "team-a"}})

    assert named.message.endswith("in the credentials Secret named in spec.credentialsSecretRef")


# A real TLS handshake


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def self_signed(tmp_path: Path, san: x509.GeneralName) -> tuple[Path, Path]:
    """Write a self-signed CA certificate for `san` and its key; return both paths."""
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("dms-test"))
        .issuer_name(_name("dms-test"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / "server.crt"
    key_path = tmp_path / "server.key"
    cert_path.write_bytes(_pem(certificate))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def _hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # The client rejects the certificate during the handshake; nothing more arrives.
    writer.close()


StartServer = Callable[[x509.GeneralName], Awaitable[tuple[str, str]]]


@pytest.fixture
async def tls_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[StartServer]:
    """Start TLS servers on 127.0.0.1 whose certificates name `san`; return the endpoint
    and the certificate PEM of each."""
    # httpx honours proxy variables; the test server is only reachable directly.
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    servers: list[asyncio.Server] = []

    async def start(san: x509.GeneralName) -> tuple[str, str]:
        folder = tmp_path / str(len(servers))
        folder.mkdir()
        cert_path, key_path = self_signed(folder, san)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        server = await asyncio.start_server(_hang_up, "127.0.0.1", 0, ssl=context)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"https://127.0.0.1:{port}", cert_path.read_text()

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def login_error(endpoint: str, ca_pem: str | None = None) -> DMSError:
    settings = OperatorSettings(dms_path_prefix="/provider", dms_retry_attempts=1)
    pool = DMSClientPool(settings)
    credentials = DMSCredentials(
        endpoint=endpoint, username="ops@example.com", password=SecretStr(PASSWORD), ca_pem=ca_pem
    )
    try:
        await pool.session_for(credentials).session_info()
    except DMSError as error:
        return error
    finally:
        await pool.aclose()
    raise AssertionError("the login unexpectedly succeeded")


LOOPBACK = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))


async def test_self_signed_without_ca(
    tls_servers: StartServer,
) -> None:
    endpoint, _ = await tls_servers(LOOPBACK)

    error = await login_error(endpoint)
    problem = name_credentials_secret(problem_from_dms_error(error, "logging in"), BODY)

    assert problem.reason == "TLSVerificationFailed"
    assert "self-signed certificate" in problem.message
    assert f"{CA_FIX} team-a/dms-login" in problem.message
    assert PASSWORD not in problem.message


async def test_certificate_for_other_host(
    tls_servers: StartServer,
) -> None:
    endpoint, ca_pem = await tls_servers(x509.DNSName("dms.example"))

    error = await login_error(endpoint, ca_pem=ca_pem)
    problem = name_credentials_secret(problem_from_dms_error(error, "logging in"), BODY)

    assert problem.reason == "TLSVerificationFailed"
    assert "the key endpoint in the credentials Secret team-a/dms-login" in problem.message
