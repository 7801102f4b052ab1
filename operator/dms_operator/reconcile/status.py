"""Status writing shared by both kinds: conditions, change detection, transition Events.

The status is written only when it differs from the stored one, as a JSON merge patch of
the changed top-level fields (a field set to None is removed). `lastSyncTime` alone does
not count as a difference until it is `status_sync_refresh_seconds` old, so an idle
drift check writes nothing. An Event is posted when
the reason of `Ready` changes, and when `Synced` turns to a new failure reason that
`Ready` does not already show, so that a problem repeated on every retry posts one Event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dms_operator.clients.kube import KubeClient
from dms_operator.metrics import METRICS
from dms_operator.models.common import (
    DATABASE_KIND,
    DATABASE_PLURAL,
    ORGANIZATION_KIND,
    ORGANIZATION_PLURAL,
    ConditionStatus,
)
from dms_operator.models.conditions import (
    READY,
    SYNCED,
    Reason,
    find_condition,
    make_condition,
    set_condition,
)
from dms_operator.reconcile.context import EventSink
from dms_operator.reconcile.outcomes import Problem

# Reasons of progress and success, posted as Normal Events; all others are Warnings.
_NORMAL_REASONS = frozenset(
    {
        Reason.AVAILABLE,
        Reason.CREATING,
        Reason.UPDATING,
        Reason.DELETING,
        Reason.POWERED_OFF,
        Reason.PAUSED,
        Reason.RETAINED,
        Reason.RECONCILE_SUCCESS,
    }
)
_KINDS = {DATABASE_PLURAL: DATABASE_KIND, ORGANIZATION_PLURAL: ORGANIZATION_KIND}
NORMAL = "Normal"
WARNING = "Warning"


@dataclass(frozen=True)
class Condition:
    """A condition to report: status, reason and one-line message."""

    status: ConditionStatus
    reason: Reason
    message: str


@dataclass(frozen=True)
class PlannedEvent:
    """An Event to post once."""

    type: str
    reason: str
    message: str


def synced_condition(problem: Condition | None = None) -> Condition:
    """Return `Synced=True`, or `Synced=False` with the problem's reason and message."""
    if problem is None:
        return Condition(
            ConditionStatus.TRUE, Reason.RECONCILE_SUCCESS, "the last reconcile succeeded"
        )
    return Condition(ConditionStatus.FALSE, problem.reason, problem.message)


def with_conditions(
    status: Mapping[str, Any],
    ready: Condition,
    synced: Condition,
    generation: int,
    now: datetime,
) -> dict[str, Any]:
    """Return a copy of `status` with the two conditions and `observedGeneration` set."""
    conditions: list[dict[str, Any]] = [dict(item) for item in status.get("conditions") or []]
    for type_, condition in ((READY, ready), (SYNCED, synced)):
        conditions = set_condition(
            conditions,
            make_condition(
                type_, condition.status, condition.reason, condition.message, generation, now
            ),
        )
    updated = dict(status)
    updated["conditions"] = conditions
    updated["observedGeneration"] = generation
    return updated


def status_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Return the top-level fields of `new` that differ from `old` (None removes a field)."""
    patch: dict[str, Any] = {}
    for key in set(old) | set(new):
        if old.get(key) != new.get(key):
            patch[key] = new.get(key)
    return patch


async def write_status(
    kube: KubeClient,
    namespace: str,
    plural: str,
    name: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> bool:
    """Patch the status subresource with what changed; return whether it wrote.

    The resource's Ready status goes to the `resources` metric either way.
    """
    ready = find_condition(new.get("conditions") or [], READY) or {}
    kind = _KINDS.get(plural)
    if kind is not None and ready.get("status"):
        METRICS.set_resource_ready(kind, namespace, name, str(ready["status"]))
    patch = status_patch(old, new)
    if not patch:
        return False
    await kube.patch_status(namespace, plural, name, patch)
    return True


def event_type(status: str, reason: str) -> str:
    """Return `Normal` for progress and success reasons, `Warning` for the rest."""
    if status == ConditionStatus.TRUE or reason in _NORMAL_REASONS:
        return NORMAL
    return WARNING


def transition_events(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[PlannedEvent]:
    """Return the Events for condition changes between two statuses."""
    events: list[PlannedEvent] = []
    old_conditions: Sequence[Mapping[str, Any]] = old.get("conditions") or []
    new_conditions: Sequence[Mapping[str, Any]] = new.get("conditions") or []
    old_ready = find_condition(old_conditions, READY) or {}
    new_ready = find_condition(new_conditions, READY) or {}
    if new_ready and new_ready.get("reason") != old_ready.get("reason"):
        events.append(
            PlannedEvent(
                event_type(new_ready["status"], new_ready["reason"]),
                new_ready["reason"],
                new_ready.get("message", ""),
            )
        )
    old_synced = find_condition(old_conditions, SYNCED) or {}
    new_synced = find_condition(new_conditions, SYNCED) or {}
    if (
        new_synced
        and new_synced.get("status") != ConditionStatus.TRUE
        and new_synced.get("reason") != old_synced.get("reason")
        and new_synced.get("reason") != new_ready.get("reason")
    ):
        events.append(
            PlannedEvent(
                event_type(new_synced["status"], new_synced["reason"]),
                new_synced["reason"],
                new_synced.get("message", ""),
            )
        )
    return events


def post_events(sink: EventSink, events: Sequence[PlannedEvent]) -> None:
    """Post each event once."""
    for event in events:
        sink(event.type, event.reason, event.message)


async def report_problem(
    kube: KubeClient,
    body: Mapping[str, Any],
    problem: Problem,
    events: EventSink,
    plural: str,
) -> None:
    """Write the problem into the conditions and post its Event when it is new."""
    metadata = body.get("metadata") or {}
    old = dict(body.get("status") or {})
    now = datetime.now(UTC)
    ready = Condition(problem.ready, problem.reason, problem.message)
    synced = Condition(ConditionStatus.FALSE, problem.reason, problem.message)
    new = with_conditions(old, ready, synced, int(metadata.get("generation") or 0), now)
    await write_status(
        kube, str(metadata.get("namespace")), plural, str(metadata.get("name")), old, new
    )
    post_events(events, transition_events(old, new))


def _present(status: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in status.items() if value is not None}


def keep_recent_sync_time(
    old: Mapping[str, Any], new: dict[str, Any], refresh_seconds: float
) -> dict[str, Any]:
    """Return `new` with the stored `lastSyncTime` kept when nothing else changed and it is
    younger than `refresh_seconds`, so that the status write can be skipped."""
    previous = old.get("lastSyncTime")
    # A None field means "remove" in the merge patch, so it equals an absent one.
    unchanged = _present({**new, "lastSyncTime": previous}) == _present(old)
    if (
        not unchanged
        or not isinstance(previous, str)
        or not isinstance(new.get("lastSyncTime"), str)
    ):
        return new
    try:
        age = datetime.fromisoformat(new["lastSyncTime"].replace("Z", "+00:00")) - (
            datetime.fromisoformat(previous.replace("Z", "+00:00"))
        )
    except ValueError:
        return new
    if age < timedelta(seconds=refresh_seconds):
        return {**new, "lastSyncTime": previous}
    return new
