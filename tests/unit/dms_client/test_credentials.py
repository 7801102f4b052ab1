"""Parsing DMS credentials from Secret data, with errors naming the Secret and the key."""

import base64

import pytest
from pydantic import SecretStr, ValidationError

from dms_operator.models.credentials import DMSCredentials, InvalidCredentialsError

from .fakes import PASSWORD, credentials

SECRET = "team-a/dms-login"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret_data(**overrides: str | None) -> dict[str, str]:
    values: dict[str, str | None] = {
        "endpoint": "https://dms.example:8443",
        "username": "ops@example.com",
        "password": PASSWORD,
    }
    values.update(overrides)
    return {key: b64(value) for key, value in values.items() if value is not None}


def test_parses_minimal_secret() -> None:
    creds = DMSCredentials.from_secret_data(secret_data(), SECRET)

    assert creds.endpoint == "https://dms.example:8443"
    assert creds.username == "ops@example.com"
    assert creds.password.get_secret_value() == PASSWORD
    assert creds.ca_pem is None
    assert creds.insecure_skip_tls_verify is False


def test_accepts_bytes_and_strips_newlines() -> None:
    data: dict[str, bytes | str] = {
        key: value.encode()
        for key, value in secret_data(
            endpoint="https://dms.example/\n", password=PASSWORD + "\n"
        ).items()
    }

    creds = DMSCredentials.from_secret_data(data, SECRET)

    assert creds.endpoint == "https://dms.example"
    assert creds.password.get_secret_value() == PASSWORD


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("true\n", True), ("True", False), ("yes", False), ("false", False)],
)
def test_only_true_disables_verification(value: str, expected: bool) -> None:
    creds = DMSCredentials.from_secret_data(secret_data(insecureSkipTLSVerify=value), SECRET)

    assert creds.insecure_skip_tls_verify is expected


@pytest.mark.parametrize("key", ["endpoint", "username", "password"])
def test_missing_key_is_named(key: str) -> None:
    data = secret_data(**{key: None})

    with pytest.raises(InvalidCredentialsError) as caught:
        DMSCredentials.from_secret_data(data, SECRET)

    assert caught.value.key == key
    assert caught.value.secret_name == SECRET
    assert f"'{SECRET}'" in str(caught.value)
    assert f"key '{key}' is missing" in str(caught.value)
    assert f"add the {key} key" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_empty_key_is_named() -> None:
    with pytest.raises(InvalidCredentialsError, match="key 'username' is empty"):
        DMSCredentials.from_secret_data(secret_data(username="  "), SECRET)


def test_invalid_base64_is_named() -> None:
    data = secret_data()
    data["password"] = "not base64!"

    with pytest.raises(InvalidCredentialsError) as caught:
        DMSCredentials.from_secret_data(data, SECRET)

    assert caught.value.key == "password"
    assert "not valid base64" in str(caught.value)
    assert "not base64!" not in str(caught.value)


def test_non_utf8_value_is_named() -> None:
    data = secret_data()
    data["username"] = base64.b64encode(b"\xff\xfe").decode()

    with pytest.raises(InvalidCredentialsError, match="key 'username' is not UTF-8"):
        DMSCredentials.from_secret_data(data, SECRET)


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        ("ftp://dms.example", "must start with https://"),
        ("dms.example", "must start with https://"),
        ("https://", "has no host name"),
        ("https://admin:pw@dms.example", "must not contain a user name or password"),
        ("https://dms.example/?token=x", "must not contain a query"),
        ("https://dms.example:99999", "is not a valid URL"),
    ],
)
def test_invalid_endpoint_is_named(endpoint: str, problem: str) -> None:
    with pytest.raises(InvalidCredentialsError) as caught:
        DMSCredentials.from_secret_data(secret_data(endpoint=endpoint), SECRET)

    assert caught.value.key == "endpoint"
    assert problem in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_invalid_ca_is_named() -> None:
    with pytest.raises(InvalidCredentialsError) as caught:
        DMSCredentials.from_secret_data(secret_data(**{"ca.crt": "not a certificate"}), SECRET)

    assert caught.value.key == "ca.crt"
    assert "PEM" in str(caught.value)


def test_constructor_validates_endpoint() -> None:
    with pytest.raises(ValidationError, match="must start with https://"):
        DMSCredentials(endpoint="file:///etc/passwd", username="u", password=SecretStr("p"))


def test_fingerprint_changes_with_every_field() -> None:
    base = credentials()
    variants = [
        credentials(endpoint="https://other.example"),
        credentials(username="other@example.com"),
        credentials(password=SecretStr("Other!pass1")),
        credentials(ca_pem="-----BEGIN CERTIFICATE-----"),
        credentials(insecure_skip_tls_verify=True),
    ]

    assert credentials().fingerprint == base.fingerprint
    fingerprints = {base.fingerprint, *(v.fingerprint for v in variants)}
    assert len(fingerprints) == 6
