"""Operator settings of the DMS client: environment prefix, descriptions, validation."""

import pytest
from pydantic import ValidationError

from dms_operator.settings import OperatorSettings


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMS_OPERATOR_DMS_READ_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("DMS_OPERATOR_DMS_PATH_PREFIX", "/api/")

    settings = OperatorSettings()

    assert settings.dms_read_timeout_seconds == 7.5
    assert settings.dms_path_prefix == "/api"


def test_every_field_has_a_description() -> None:
    missing = [
        name for name, field in OperatorSettings.model_fields.items() if not field.description
    ]

    assert missing == []


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OperatorSettings.model_fields:
        monkeypatch.delenv(f"DMS_OPERATOR_{name.upper()}", raising=False)

    settings = OperatorSettings()

    assert settings.dms_path_prefix == "/provider"
    assert settings.dms_retry_attempts == 4
    assert settings.dms_list_page_size == 100


def test_empty_prefix_allowed() -> None:
    assert OperatorSettings(dms_path_prefix="").dms_path_prefix == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dms_path_prefix", "provider"),
        ("dms_connect_timeout_seconds", 0),
        ("dms_retry_attempts", 0),
        ("dms_list_page_size", 5000),
    ],
)
def test_invalid_values_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        OperatorSettings.model_validate({field: value})

    assert field in str(caught.value)
