"""Shared API helpers: annotations and validation error messages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dms_operator.models.common import (
    PAUSED_ANNOTATION,
    RECONCILE_INTERVAL_ANNOTATION,
    describe_validation_error,
    is_paused,
    reconcile_interval,
)
from dms_operator.models.database import DMSDatabaseStatus


def test_annotation_names() -> None:
    assert PAUSED_ANNOTATION == "dms.tanzu.community/paused"
    assert RECONCILE_INTERVAL_ANNOTATION == "dms.tanzu.community/reconcile-interval"


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("True", True), ("false", False), ("yes", False)]
)
def test_paused_annotation(value: str, expected: bool) -> None:
    assert is_paused({PAUSED_ANNOTATION: value}) is expected


def test_not_paused_without_annotation() -> None:
    assert is_paused({}) is False


def test_reconcile_interval() -> None:
    assert reconcile_interval({RECONCILE_INTERVAL_ANNOTATION: "300"}) == 300
    assert reconcile_interval({}) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [("5m", "must be a whole number of seconds, got '5m'"), ("0", "must be at least 1 second")],
)
def test_reconcile_interval_invalid(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reconcile_interval({RECONCILE_INTERVAL_ANNOTATION: value})


def test_validation_error_list_index_in_path() -> None:
    with pytest.raises(ValidationError) as raised:
        DMSDatabaseStatus.model_validate({"conditions": [{"type": "Ready", "status": "Maybe"}]})

    message = describe_validation_error(raised.value, root="status")

    assert "status.conditions[0].status: Input should be 'True', 'False' or 'Unknown'" in message
    assert "status.conditions[0].reason: Field required" in message
