"""Certificates and keys for a throw-away Kubernetes control plane.

One CA signs the API server's serving certificate and the client certificates
of the admin and the controller manager. Client certificates are how a bare
kube-apiserver authenticates without any other identity provider: the common
name becomes the user and the organization the group. A separate RSA key pair
signs ServiceAccount tokens, so that the TokenRequest API works.

Everything here is for loopback test clusters only: keys are short-lived,
unencrypted on disk, and valid for a week.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=7)

# The first address of the service range; the API server gives it to the
# `kubernetes` Service, and in-cluster clients verify the certificate against it.
SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
_KUBERNETES_SERVICE_IP = "10.0.0.1"


@dataclass(frozen=True)
class CertPair:
    """Paths of a PEM certificate and its unencrypted private key."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class ControlPlanePKI:
    """All files the control plane components and their clients need."""

    ca: CertPair
    apiserver: CertPair
    admin: CertPair
    controller_manager: CertPair
    service_account_key: Path
    service_account_public_key: Path


def _write_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _issue(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server_names: list[str] | None = None,
    server_ips: list[str] | None = None,
    client: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server_names or server_ips:
        alternative_names: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names or []]
        alternative_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in server_ips or []]
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alternative_names), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pair(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertPair:
    pair = CertPair(cert=directory / f"{stem}.crt", key=directory / f"{stem}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pair.key)
    return pair


def create_pki(directory: Path) -> ControlPlanePKI:
    """Create a CA, serving and client certificates and the token signing key in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = _name("dms-testenv-ca")
    ca_cert = _issue(ca_subject, ca_key, ca_subject, ca_key, ca=True)
    ca = _write_pair(directory, "ca", ca_cert, ca_key)

    def leaf(stem: str, subject: x509.Name, **kwargs: object) -> CertPair:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(subject, key, ca_subject, ca_key, **kwargs)  # type: ignore[arg-type]
        return _write_pair(directory, stem, cert, key)

    apiserver = leaf(
        "apiserver",
        _name("kube-apiserver"),
        server_names=[
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ],
        server_ips=["127.0.0.1", _KUBERNETES_SERVICE_IP],
    )
    admin = leaf("admin", _name("dms-testenv-admin", "system:masters"), client=True)
    controller_manager = leaf(
        "controller-manager", _name("system:kube-controller-manager"), client=True
    )

    # The TokenRequest API signs with RS256 by default, so this key is RSA.
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sa_key_path = directory / "service-account.key"
    _write_key(sa_key, sa_key_path)
    sa_public_path = directory / "service-account.pub"
    sa_public_path.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return ControlPlanePKI(
        ca=ca,
        apiserver=apiserver,
        admin=admin,
        controller_manager=controller_manager,
        service_account_key=sa_key_path,
        service_account_public_key=sa_public_path,
    )
