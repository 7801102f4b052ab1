"""Condition builders: shape, one-line messages and lastTransitionTime handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dms_operator.models.common import Condition, ConditionStatus
from dms_operator.models.conditions import (
    MAX_MESSAGE_LENGTH,
    READY,
    SYNCED,
    Reason,
    find_condition,
    make_condition,
    ready_false,
    ready_true,
    ready_unknown,
    set_condition,
    synced_false,
    synced_true,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_condition_shape() -> None:
    condition = ready_false(Reason.CREATING, "waiting for task t-1", 3, now=T0)

    assert condition == {
        "type": "Ready",
        "status": "False",
        "reason": "Creating",
        "message": "waiting for task t-1",
        "observedGeneration": 3,
        "lastTransitionTime": "2026-01-01T12:00:00Z",
    }
    assert Condition.model_validate(condition).status is ConditionStatus.FALSE


def test_time_converted_to_utc() -> None:
    local = datetime(2026, 1, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2)))

    assert ready_true("online", 1, now=local)["lastTransitionTime"] == "2026-01-01T12:00:00Z"


def test_message_made_one_line_and_cut() -> None:
    multi = make_condition(READY, ConditionStatus.FALSE, "Broken", "first\n  second\tthird", 1, T0)
    long = make_condition(READY, ConditionStatus.FALSE, "Broken", "x" * 5000, 1, T0)

    assert multi["message"] == "first second third"
    assert len(long["message"]) == MAX_MESSAGE_LENGTH
    assert long["message"].endswith("...")


def test_generation_omitted_when_unknown() -> None:
    assert "observedGeneration" not in synced_true(None, now=T0)


def test_reason_must_be_camel_case() -> None:
    with pytest.raises(ValueError, match="not CamelCase"):
        make_condition(READY, ConditionStatus.FALSE, "not ready", "x", 1, T0)


def test_every_reason_is_valid() -> None:
    for reason in Reason:
        assert make_condition(SYNCED, ConditionStatus.TRUE, reason, "", 1, T0)["reason"] == reason


def test_same_status_keeps_transition_time() -> None:
    before = [ready_false(Reason.CREATING, "task at 10%", 1, now=T0)]

    after = set_condition(before, ready_false(Reason.UPDATING, "task at 50%", 2, now=T1))

    assert after[0]["lastTransitionTime"] == "2026-01-01T12:00:00Z"
    assert after[0]["reason"] == "Updating"
    assert after[0]["observedGeneration"] == 2


def test_status_change_updates_transition_time() -> None:
    before = [ready_false(Reason.CREATING, "creating", 1, now=T0)]

    after = set_condition(before, ready_true("online", 1, now=T1))

    assert after[0]["status"] == "True"
    assert after[0]["lastTransitionTime"] == "2026-01-01T12:05:00Z"


def test_set_condition_keeps_order_and_appends() -> None:
    conditions = [ready_unknown(Reason.DMS_UNAVAILABLE, "timed out", 1, now=T0)]

    conditions = set_condition(conditions, synced_false(Reason.RECONCILE_ERROR, "timed out", 1, T0))
    conditions = set_condition(conditions, ready_true("online", 1, now=T1))

    assert [condition["type"] for condition in conditions] == ["Ready", "Synced"]
    synced = find_condition(conditions, SYNCED)
    assert synced is not None
    assert synced["reason"] == "ReconcileError"
    assert find_condition(conditions, "Missing") is None


def test_set_condition_leaves_input_unchanged() -> None:
    before = [ready_false(Reason.CREATING, "creating", 1, now=T0)]

    set_condition(before, ready_true("online", 1, now=T1))

    assert before[0]["status"] == "False"
