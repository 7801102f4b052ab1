"""Status conditions: the condition types, the reasons, and small builders.

Every kind reports two conditions in the standard `metav1.Condition` shape:

- `Ready`: the object exists in DMS and matches the spec (for a DMSDatabase also:
  DMS reports it ONLINE and the connection Secret is written).
- `Synced`: the last reconcile finished without error.

Reasons are CamelCase constants from `Reason`, so that dashboards and alerts can
match on them. The builders make messages one line. Keeping secrets out of messages
is the caller's job, because a builder cannot tell a password from other text.
`set_condition` keeps `lastTransitionTime` while a condition's status
stays the same, so a condition whose reason or message changes does not look like a
transition.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from dms_operator.models.common import CONDITION_REASON_PATTERN, ConditionStatus

READY = "Ready"
SYNCED = "Synced"

# Longer messages are cut; `kubectl get` and Events are read by people, not parsers.
MAX_MESSAGE_LENGTH = 1024

_REASON_RE = re.compile(CONDITION_REASON_PATTERN)


class Reason(enum.StrEnum):
    """Condition reasons. Add new ones here rather than spelling them at call sites."""

    # Ready=True.
    AVAILABLE = "Available"
    # Ready=False while work is under way.
    CREATING = "Creating"
    UPDATING = "Updating"
    DELETING = "Deleting"
    POWERED_OFF = "PoweredOff"
    NOT_ONLINE = "NotOnline"
    PAUSED = "Paused"
    # Ready=False while the operator restores a spec value that was changed in DMS.
    DRIFT_DETECTED = "DriftDetected"
    # Ready=False for input that only the operator or DMS can reject.
    INVALID_SPEC = "InvalidSpec"
    CREDENTIALS_NOT_FOUND = "CredentialsNotFound"
    CREDENTIALS_INVALID = "CredentialsInvalid"
    AUTHENTICATION_FAILED = "AuthenticationFailed"
    # The DMS server's TLS certificate failed verification against the credentials
    # Secret's ca.crt (or the system CAs).
    TLS_VERIFICATION_FAILED = "TLSVerificationFailed"
    FORBIDDEN = "Forbidden"
    ORGANIZATION_NOT_FOUND = "OrganizationNotFound"
    ORGANIZATION_NOT_READY = "OrganizationNotReady"
    ORGANIZATION_AMBIGUOUS = "OrganizationAmbiguous"
    ENVIRONMENT_NOT_FOUND = "EnvironmentNotFound"
    ENVIRONMENT_AMBIGUOUS = "EnvironmentAmbiguous"
    DATASTORE_NOT_FOUND = "DataStoreNotFound"
    VERSION_NOT_FOUND = "VersionNotFound"
    PLAN_NOT_FOUND = "PlanNotFound"
    NAME_CONFLICT = "NameConflict"
    SECRET_CONFLICT = "SecretConflict"  # noqa: S105 (a reason, not a password)
    TASK_FAILED = "TaskFailed"
    # DMS reports the database FATAL, ERROR or *_UPDATE_FAILED, and no failed task of
    # the operator's explains it.
    INSTANCE_FAILED = "InstanceFailed"
    # A spec change that DMS cannot make (shrinking a disk, changing the admin password).
    UNSUPPORTED_CHANGE = "UnsupportedChange"
    # An adopted database whose admin password the operator does not know.
    PASSWORD_UNKNOWN = "PasswordUnknown"  # noqa: S105 (a reason, not a password)
    DMS_REJECTED = "DMSRejected"
    DMS_UNAVAILABLE = "DMSUnavailable"
    # Used when the resource is being deleted with deletionPolicy Retain.
    RETAINED = "Retained"
    # Synced.
    RECONCILE_SUCCESS = "ReconcileSuccess"
    RECONCILE_ERROR = "ReconcileError"


def one_line(message: str) -> str:
    """Return `message` with each whitespace run made one space, cut to MAX_MESSAGE_LENGTH."""
    flat = " ".join(message.split())
    if len(flat) > MAX_MESSAGE_LENGTH:
        flat = flat[: MAX_MESSAGE_LENGTH - 3] + "..."
    return flat


def format_time(moment: datetime) -> str:
    """Return `moment` as RFC 3339 in UTC with second precision, as Kubernetes writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_condition(
    type_: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    observed_generation: int | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Build a condition dict in the `metav1.Condition` shape, with camelCase keys.

    `now` becomes `lastTransitionTime` (the current time when None); `set_condition`
    keeps the previous time instead when the status has not changed. Raises
    ValueError when `reason` is not CamelCase.
    """
    if not _REASON_RE.match(reason):
        raise ValueError(f"condition reason {reason!r} is not CamelCase")
    condition: dict[str, Any] = {
        "type": type_,
        "status": str(status),
        "reason": str(reason),
        "message": one_line(message),
        "lastTransitionTime": format_time(now or datetime.now(UTC)),
    }
    if observed_generation is not None:
        condition["observedGeneration"] = observed_generation
    return condition


def find_condition(conditions: Iterable[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    """Return the condition of type `type_`, or None."""
    for condition in conditions:
        if condition.get("type") == type_:
            return condition
    return None


def set_condition(
    conditions: Iterable[Mapping[str, Any]], new: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Return a copy of `conditions` with `new` in place of the condition of its type.

    When the existing condition has the same status, its `lastTransitionTime` is
    kept. A condition of a type not present yet is appended; the order of the others
    is kept, so that repeated reconciles write identical lists.
    """
    result: list[dict[str, Any]] = []
    replaced = False
    for condition in conditions:
        if condition.get("type") != new["type"]:
            result.append(dict(condition))
            continue
        merged = dict(new)
        if condition.get("status") == new["status"] and "lastTransitionTime" in condition:
            merged["lastTransitionTime"] = condition["lastTransitionTime"]
        result.append(merged)
        replaced = True
    if not replaced:
        result.append(dict(new))
    return result


def ready_true(
    message: str, observed_generation: int | None, now: datetime | None = None
) -> dict[str, Any]:
    """Build `Ready=True` with reason `Available`."""
    return make_condition(
        READY, ConditionStatus.TRUE, Reason.AVAILABLE, message, observed_generation, now
    )


def ready_false(
    reason: Reason, message: str, observed_generation: int | None, now: datetime | None = None
) -> dict[str, Any]:
    """Build `Ready=False` with the given reason."""
    return make_condition(READY, ConditionStatus.FALSE, reason, message, observed_generation, now)


def ready_unknown(
    reason: Reason, message: str, observed_generation: int | None, now: datetime | None = None
) -> dict[str, Any]:
    """Build `Ready=Unknown`, for when DMS cannot be read (unreachable, or paused)."""
    return make_condition(READY, ConditionStatus.UNKNOWN, reason, message, observed_generation, now)


def synced_true(observed_generation: int | None, now: datetime | None = None) -> dict[str, Any]:
    """Build `Synced=True` with reason `ReconcileSuccess`."""
    return make_condition(
        SYNCED,
        ConditionStatus.TRUE,
        Reason.RECONCILE_SUCCESS,
        "the last reconcile succeeded",
        observed_generation,
        now,
    )


def synced_false(
    reason: Reason, message: str, observed_generation: int | None, now: datetime | None = None
) -> dict[str, Any]:
    """Build `Synced=False`; use `ReconcileError`, or `Paused` when writes are paused."""
    return make_condition(SYNCED, ConditionStatus.FALSE, reason, message, observed_generation, now)
