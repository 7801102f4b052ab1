"""When the drift timer of a resource runs a reconcile. Pure functions.

The timer wakes every `drift_timer_seconds` and reads DMS only when the resource's
interval (annotation `dms.tanzu.community/reconcile-interval`, else
`drift_interval_seconds`) plus its jitter has passed since the later of
`status.lastSyncTime` and the last reconcile this process ran for the resource. A
reconcile that fails before it reads DMS never sets `lastSyncTime`, so without the
second time the timer would retry it on every wake-up. Change handlers retry those. The
jitter is a fixed share, derived from the uid, of `drift_jitter_seconds` or a tenth of
the interval, whichever is smaller. So resources created together spread out, and a
given resource keeps a steady rhythm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from dms_operator.models.common import reconcile_interval
from dms_operator.settings import OperatorSettings


def jitter_seconds(uid: str, maximum: float) -> float:
    """Return a value in [0, maximum) that depends only on `uid`."""
    if maximum <= 0:
        return 0.0
    digest = hashlib.sha256(uid.encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return fraction * maximum


def interval_seconds(annotations: Mapping[str, str], settings: OperatorSettings) -> int:
    """Return the resource's drift interval; an invalid annotation falls back to the default."""
    try:
        value = reconcile_interval(annotations)
    except ValueError:
        return settings.drift_interval_seconds
    return value if value is not None else settings.drift_interval_seconds


def parse_time(value: object) -> datetime | None:
    """Parse an RFC 3339 time as Kubernetes writes it; None when absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def drift_check_due(
    *,
    uid: str,
    annotations: Mapping[str, str],
    last_sync: object,
    last_attempt: datetime | None,
    settings: OperatorSettings,
    now: datetime,
) -> bool:
    """Return whether the drift timer should reconcile now."""
    times = [time for time in (parse_time(last_sync), last_attempt) if time is not None]
    if not times:
        return True
    synced = max(times)
    interval = interval_seconds(annotations, settings)
    jitter = jitter_seconds(uid, min(settings.drift_jitter_seconds, interval / 10))
    return now >= synced + timedelta(seconds=interval + jitter)
