"""DMS login credentials and their parsing from a Kubernetes Secret.

The Secret has the keys `endpoint`, `username`, `password`, and optionally `ca.crt`
(a PEM bundle that verifies the provider's TLS certificate) and
`insecureSkipTLSVerify` (only the value `true` turns verification off).
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import ssl
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

# Keys of the credentials Secret.
ENDPOINT_KEY: Final = "endpoint"
USERNAME_KEY: Final = "username"
PASSWORD_KEY: Final = "password"  # noqa: S105 - the name of a Secret key, not a password
CA_KEY: Final = "ca.crt"
INSECURE_KEY: Final = "insecureSkipTLSVerify"

# Fingerprints are HMACs with a key that lives only in this process, so a fingerprint
# that reaches a log cannot be used to guess the password offline.
_FINGERPRINT_KEY: Final = secrets.token_bytes(32)


class InvalidCredentialsError(ValueError):
    """A credentials Secret that is missing a key or has an invalid value."""

    def __init__(self, secret_name: str, key: str, problem: str, fix: str) -> None:
        self.secret_name = secret_name
        self.key = key
        super().__init__(f"credentials Secret {secret_name!r}: key {key!r} {problem}; {fix}")


class DMSCredentials(BaseModel):
    """Login credentials of a DMS user: endpoint, username, password and TLS settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str
    username: str
    password: SecretStr
    ca_pem: str | None = None
    insecure_skip_tls_verify: bool = False

    @field_validator("endpoint")
    @classmethod
    def _validate_endpoint(cls, value: str) -> str:
        problem = endpoint_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value.strip().rstrip("/")

    @property
    def fingerprint(self) -> str:
        """A digest of every field; it changes when any of them changes.

        It is an HMAC with a key drawn at process start, so it reveals nothing about the
        password and is only comparable within one process.
        """
        canonical = json.dumps(
            [
                self.endpoint,
                self.username,
                self.password.get_secret_value(),
                self.ca_pem,
                self.insecure_skip_tls_verify,
            ]
        )
        return hmac.new(_FINGERPRINT_KEY, canonical.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_secret_data(
        cls, data: Mapping[str, bytes | str], secret_name: str
    ) -> "DMSCredentials":
        """Parse the base64-encoded `data` of a credentials Secret.

        Raises `InvalidCredentialsError`, naming the Secret and the key, when a required
        key is missing or empty or a value is invalid. No message contains the password.
        """
        endpoint = _required_text(data, ENDPOINT_KEY, secret_name)
        problem = endpoint_problem(endpoint)
        if problem is not None:
            raise InvalidCredentialsError(
                secret_name, ENDPOINT_KEY, problem, "set it to https://<host>[:port]"
            )
        username = _required_text(data, USERNAME_KEY, secret_name)
        password = _required_text(data, PASSWORD_KEY, secret_name)
        ca_pem = _optional_text(data, CA_KEY, secret_name)
        if ca_pem is not None:
            _check_ca_bundle(ca_pem, secret_name)
        insecure = _optional_text(data, INSECURE_KEY, secret_name) == "true"
        return cls(
            endpoint=endpoint,
            username=username,
            password=SecretStr(password),
            ca_pem=ca_pem,
            insecure_skip_tls_verify=insecure,
        )


def endpoint_problem(endpoint: str) -> str | None:
    """Return why `endpoint` is not a usable DMS base URL, or `None` when it is."""
    try:
        parts = urlsplit(endpoint.strip())
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("https", "http"):
        return "must start with https:// (or http:// for a test server)"
    if not parts.hostname:
        return "has no host name"
    if parts.username is not None or parts.password is not None:
        # A password in the URL would end up in logs; it belongs in the `password` key.
        return "must not contain a user name or password"
    if parts.query or parts.fragment:
        return "must not contain a query or fragment"
    if port == 0:
        return "has port 0"
    return None


def _decode(data: Mapping[str, bytes | str], key: str, secret_name: str) -> str | None:
    raw = data.get(key)
    if raw is None:
        return None
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCredentialsError(
            secret_name,
            key,
            "is not valid base64",
            "store the value under stringData, or base64-encode it under data",
        ) from None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidCredentialsError(
            secret_name, key, "is not UTF-8 text", "store the value as UTF-8 text"
        ) from None
    # Values written with `echo` end in a newline. DMS passwords cannot contain
    # whitespace (the DMS password rule allows only [A-Za-z0-9?!@#$%^&*]), so
    # stripping it from every key loses nothing.
    return text.strip()


def _required_text(data: Mapping[str, bytes | str], key: str, secret_name: str) -> str:
    text = _decode(data, key, secret_name)
    if not text:
        state = "is missing" if text is None else "is empty"
        raise InvalidCredentialsError(secret_name, key, state, f"add the {key} key to the Secret")
    return text


def _optional_text(data: Mapping[str, bytes | str], key: str, secret_name: str) -> str | None:
    return _decode(data, key, secret_name) or None


def _check_ca_bundle(ca_pem: str, secret_name: str) -> None:
    try:
        ssl.create_default_context(cadata=ca_pem)
    except (ssl.SSLError, ValueError):
        raise InvalidCredentialsError(
            secret_name,
            CA_KEY,
            "does not contain a valid PEM certificate",
            "put the PEM-encoded CA certificate(s) that signed the DMS provider's certificate",
        ) from None
