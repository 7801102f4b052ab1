"""When the drift timer reconciles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dms_operator.reconcile.scheduling import drift_check_due, jitter_seconds
from dms_operator.settings import OperatorSettings

SETTINGS = OperatorSettings(drift_interval_seconds=300, drift_jitter_seconds=30)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def stamp(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def due(
    last_sync: object,
    annotations: dict[str, str] | None = None,
    uid: str = "uid-1",
    last_attempt: datetime | None = None,
) -> bool:
    return drift_check_due(
        uid=uid,
        annotations=annotations or {},
        last_sync=last_sync,
        last_attempt=last_attempt,
        settings=SETTINGS,
        now=NOW,
    )


def test_never_synced_is_due() -> None:
    assert due(None) is True


def test_recent_sync_is_not_due() -> None:
    assert due(stamp(10)) is False


def test_old_sync_is_due() -> None:
    assert due(stamp(331)) is True


def test_annotation_shortens_interval() -> None:
    annotations = {"dms.tanzu.community/reconcile-interval": "5"}

    assert due(stamp(6), annotations) is True
    assert due(stamp(2), annotations) is False


def test_invalid_annotation_uses_default() -> None:
    assert due(stamp(10), {"dms.tanzu.community/reconcile-interval": "soon"}) is False


def test_recent_failed_attempt_is_not_due() -> None:
    assert due(None, last_attempt=NOW - timedelta(seconds=10)) is False


def test_later_of_sync_and_attempt_counts() -> None:
    assert due(stamp(400), last_attempt=NOW - timedelta(seconds=10)) is False
    assert due(stamp(10), last_attempt=NOW - timedelta(seconds=400)) is False
    assert due(stamp(400), last_attempt=NOW - timedelta(seconds=400)) is True


def test_invalid_time_is_due() -> None:
    assert due("yesterday") is True


def test_jitter_is_stable_and_bounded() -> None:
    values = [jitter_seconds(f"uid-{index}", 30) for index in range(100)]

    assert all(0 <= value < 30 for value in values)
    assert jitter_seconds("uid-1", 30) == jitter_seconds("uid-1", 30)
    assert len(set(values)) > 50
    assert jitter_seconds("uid-1", 0) == 0
