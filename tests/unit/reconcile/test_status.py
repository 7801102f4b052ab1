"""Status patches carry only changes; Events follow condition transitions, once."""

from __future__ import annotations

from datetime import UTC, datetime

from dms_operator.models.common import ConditionStatus
from dms_operator.models.conditions import Reason
from dms_operator.reconcile.status import (
    Condition,
    keep_recent_sync_time,
    status_patch,
    synced_condition,
    transition_events,
    with_conditions,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


def ready(
    reason: Reason, status: ConditionStatus = ConditionStatus.FALSE, message: str = "m"
) -> Condition:
    return Condition(status, reason, message)


def test_unchanged_status_needs_no_patch() -> None:
    first = with_conditions(
        {}, ready(Reason.AVAILABLE, ConditionStatus.TRUE), synced_condition(), 1, T0
    )
    again = with_conditions(
        first, ready(Reason.AVAILABLE, ConditionStatus.TRUE), synced_condition(), 1, T1
    )

    assert status_patch(first, again) == {}


def test_patch_contains_changed_and_removed_fields() -> None:
    patch = status_patch(
        {"id": "a", "task": {"id": "t"}}, {"id": "a", "task": None, "dmsStatus": "ONLINE"}
    )

    assert patch == {"task": None, "dmsStatus": "ONLINE"}


def test_repeated_problem_posts_one_event() -> None:
    failing = Condition(ConditionStatus.FALSE, Reason.VERSION_NOT_FOUND, "spec.version '99' ...")
    first = with_conditions({}, failing, synced_condition(failing), 1, T0)
    second = with_conditions(first, failing, synced_condition(failing), 1, T1)

    events = transition_events({}, first)

    assert [(event.type, event.reason) for event in events] == [("Warning", "VersionNotFound")]
    assert transition_events(first, second) == []


def test_recovery_posts_normal_event() -> None:
    failing = Condition(ConditionStatus.FALSE, Reason.CREDENTIALS_NOT_FOUND, "missing")
    broken = with_conditions({}, failing, synced_condition(failing), 1, T0)
    fixed = with_conditions(
        broken, ready(Reason.AVAILABLE, ConditionStatus.TRUE), synced_condition(), 1, T1
    )

    events = transition_events(broken, fixed)

    assert [(event.type, event.reason) for event in events] == [("Normal", "Available")]


def test_synced_problem_gets_own_event() -> None:
    available = ready(Reason.AVAILABLE, ConditionStatus.TRUE)
    before = with_conditions({}, available, synced_condition(), 1, T0)
    unsupported = Condition(ConditionStatus.FALSE, Reason.UNSUPPORTED_CHANGE, "cannot shrink")
    after = with_conditions(before, available, unsupported, 2, T1)

    events = transition_events(before, after)

    assert [(event.type, event.reason) for event in events] == [("Warning", "UnsupportedChange")]


def test_transition_time_kept_while_status_stays() -> None:
    first = with_conditions({}, ready(Reason.CREATING), synced_condition(), 1, T0)
    second = with_conditions(first, ready(Reason.UPDATING), synced_condition(), 2, T1)

    times = {
        condition["type"]: condition["lastTransitionTime"] for condition in second["conditions"]
    }

    assert times["Ready"] == "2026-01-01T00:00:00Z"
    assert second["observedGeneration"] == 2


def test_sync_time_kept_when_unchanged() -> None:
    old = {"id": "db-1", "lastSyncTime": "2026-01-01T00:00:00Z"}
    new = {"id": "db-1", "lastSyncTime": "2026-01-01T00:05:00Z"}

    kept = keep_recent_sync_time(old, new, refresh_seconds=3600)

    assert kept == old


def test_sync_time_refreshed_when_old() -> None:
    old = {"id": "db-1", "lastSyncTime": "2026-01-01T00:00:00Z"}
    new = {"id": "db-1", "lastSyncTime": "2026-01-01T02:00:00Z"}

    assert keep_recent_sync_time(old, new, refresh_seconds=3600) == new


def test_sync_time_written_with_other_change() -> None:
    old = {"id": "db-1", "dmsStatus": "INIT", "lastSyncTime": "2026-01-01T00:00:00Z"}
    new = {"id": "db-1", "dmsStatus": "ONLINE", "lastSyncTime": "2026-01-01T00:00:30Z"}

    assert keep_recent_sync_time(old, new, refresh_seconds=3600) == new


def test_sync_time_first_write() -> None:
    new = {"id": "db-1", "lastSyncTime": "2026-01-01T00:00:30Z"}

    assert keep_recent_sync_time({"id": "db-1"}, new, refresh_seconds=3600) == new


def test_sync_time_kept_with_removed_fields() -> None:
    # The stored status has no `task`; the new one removes it with None.
    old = {"id": "db-1", "lastSyncTime": "2026-01-01T00:00:00Z"}
    new = {"id": "db-1", "task": None, "lastSyncTime": "2026-01-01T00:05:00Z"}

    assert keep_recent_sync_time(old, new, refresh_seconds=3600)["lastSyncTime"] == (
        "2026-01-01T00:00:00Z"
    )
