"""How a reconcile ends: problems, their conditions, and kopf's retry exceptions.

A reconcile that cannot finish raises `Problem`. A problem carries the condition reason,
a one-line message and its retry rule:

- `Retry.PERMANENT`: only a change to the resource can fix it (an unknown version, a
  name taken in DMS, a request DMS rejects). kopf gets a `PermanentError`, so there is no
  retry storm; the next spec change, and the periodic drift check, run again.
- `Retry.BACKOFF`: it may go away on its own or after a fix elsewhere (DMS unavailable,
  a credentials Secret missing or rejected). kopf gets a `TemporaryError` whose delay
  doubles with each failure, from `error_backoff_base_seconds` up to
  `error_backoff_max_seconds`.
- `Retry.AFTER`: retry after `delay` seconds, e.g. the `Retry-After` of a 429.

`problem_from_dms_error` maps the DMS client's errors (drawn in
`clients/dms/errors.py`) onto problems. Messages never carry secrets: the client's
messages are scrubbed already, and the other messages are written here.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import kopf

from dms_operator.clients.dms import (
    DMSAlreadyExistsError,
    DMSAuthenticationError,
    DMSError,
    DMSForbiddenError,
    DMSInvalidRequestError,
    DMSNoDefaultOrgError,
    DMSNotFoundError,
    DMSRateLimitedError,
    DMSServerError,
    DMSTransportError,
    DMSUnexpectedResponseError,
)
from dms_operator.models.common import ConditionStatus
from dms_operator.models.conditions import Reason
from dms_operator.settings import OperatorSettings

# DMS's error type for an operation that the object's current status does not allow.
INVALID_STATE = "INVALID_STATE"

ResultT = TypeVar("ResultT")


class Retry(enum.Enum):
    """The retry rule of a problem."""

    PERMANENT = "permanent"
    BACKOFF = "backoff"
    AFTER = "after"


class Problem(Exception):
    """A reconcile that cannot finish, with the condition to report and how to retry.

    `ready` is the status of the `Ready` condition: False for most problems, Unknown
    when DMS could not be read at all, so the database's own state is unknown.
    """

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        retry: Retry,
        delay: float | None = None,
        ready: ConditionStatus = ConditionStatus.FALSE,
    ) -> None:
        super().__init__(" ".join(message.split()))
        self.reason = reason
        self.retry = retry
        self.delay = delay
        self.ready = ready

    @property
    def message(self) -> str:
        """The one-line message for the conditions and the Event."""
        return str(self)


def permanent(reason: Reason, message: str) -> Problem:
    """Build a problem that only a change to the resource can fix."""
    return Problem(reason, message, retry=Retry.PERMANENT)


def transient(
    reason: Reason, message: str, ready: ConditionStatus = ConditionStatus.FALSE
) -> Problem:
    """Build a problem that is retried with a growing delay."""
    return Problem(reason, message, retry=Retry.BACKOFF, ready=ready)


def problem_from_dms_error(error: DMSError, doing: str) -> Problem:
    """Map a DMS client error to a problem; `doing` names the step, e.g. "reading database x".

    Messages name the step and the DMS reply, but not variable details such as
    remaining wait times, so that a repeated failure writes the same condition.
    """
    message = f"{doing} failed: {_stable_text(error)}"
    if isinstance(error, DMSAuthenticationError):
        return transient(Reason.AUTHENTICATION_FAILED, message)
    if isinstance(error, DMSForbiddenError):
        return permanent(Reason.FORBIDDEN, message)
    if isinstance(error, DMSNoDefaultOrgError):
        return permanent(
            Reason.ORGANIZATION_AMBIGUOUS,
            f"{doing} failed: {error}; set spec.organizationId or spec.organizationRef",
        )
    if isinstance(error, DMSRateLimitedError):
        return Problem(
            Reason.DMS_UNAVAILABLE,
            message,
            retry=Retry.AFTER if error.retry_after is not None else Retry.BACKOFF,
            delay=error.retry_after,
            ready=ConditionStatus.UNKNOWN,
        )
    if isinstance(error, DMSServerError | DMSTransportError):
        return transient(Reason.DMS_UNAVAILABLE, message, ready=ConditionStatus.UNKNOWN)
    if isinstance(error, DMSInvalidRequestError) and error.error_type == INVALID_STATE:
        # The object is busy or in a status that does not allow the operation yet.
        return transient(Reason.RECONCILE_ERROR, message)
    if isinstance(error, DMSAlreadyExistsError):
        # The reconcile looks names up before it creates anything, so this is a race
        # with another client. The next attempt finds the object and adopts or reports it.
        return transient(Reason.NAME_CONFLICT, message)
    if isinstance(error, DMSInvalidRequestError):
        return permanent(Reason.DMS_REJECTED, message)
    if isinstance(error, DMSNotFoundError | DMSUnexpectedResponseError):
        return transient(Reason.RECONCILE_ERROR, message)
    return transient(Reason.RECONCILE_ERROR, message)


async def call_dms(doing: str, call: Awaitable[ResultT]) -> ResultT:
    """Await a DMS client call; turn its `DMSError` into a `Problem` that names `doing`."""
    try:
        return await call
    except DMSError as error:
        raise problem_from_dms_error(error, doing) from error


def _stable_text(error: DMSError) -> str:
    # A login rejection that the client repeats from memory appends the seconds left
    # until the next attempt; the first part is the same every time.
    if isinstance(error, DMSAuthenticationError):
        return str(error).split("; the next login attempt", 1)[0]
    return str(error)


def backoff_delay(settings: OperatorSettings, retry: int) -> float:
    """Return the delay before retry number `retry` (0 for the first failure)."""
    exponent = min(max(retry, 0), 20)
    return float(
        min(settings.error_backoff_base_seconds * 2**exponent, settings.error_backoff_max_seconds)
    )


# Every requeue message starts with this, so that logs can tell waiting from failing.
WAITING_PREFIX = "waiting for DMS"


@dataclass(frozen=True)
class Requeue:
    """A reconcile that did its part and must look again after `delay` seconds
    (a DMS task is running, or DMS is busy with the object)."""

    delay: float
    message: str


def raise_for_problem(problem: Problem, settings: OperatorSettings, retry: int) -> None:
    """Raise the kopf exception that schedules the retry that `problem` requests."""
    if problem.retry is Retry.PERMANENT:
        raise kopf.PermanentError(problem.message)
    if problem.retry is Retry.AFTER and problem.delay is not None:
        delay = max(problem.delay, settings.error_backoff_base_seconds)
    else:
        delay = backoff_delay(settings, retry)
    raise kopf.TemporaryError(problem.message, delay=delay)


def raise_for_requeue(requeue: Requeue) -> None:
    """Raise the kopf exception that brings the handler back after `requeue.delay`."""
    message = requeue.message
    if not message.startswith(WAITING_PREFIX):
        message = f"{WAITING_PREFIX}: {message}"
    raise kopf.TemporaryError(message, delay=requeue.delay)
