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
messages are scrubbed already, and the other messages are written here. A problem
whose fix is in the credentials Secret (a rejected login, a TLS certificate that fails
verification) carries that fix in `secret_fix`. The reconcile entry points append it,
with the Secret's name, through `name_credentials_secret`.
"""

from __future__ import annotations

import enum
import ssl
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

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
    `secret_fix` is the fix for a problem in the credentials Secret, with `{secret}`
    where the Secret's namespace/name goes (see `name_credentials_secret`).
    """

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        retry: Retry,
        delay: float | None = None,
        ready: ConditionStatus = ConditionStatus.FALSE,
        secret_fix: str | None = None,
    ) -> None:
        super().__init__(" ".join(message.split()))
        self.reason = reason
        self.retry = retry
        self.delay = delay
        self.ready = ready
        self.secret_fix = secret_fix

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
        return Problem(
            Reason.AUTHENTICATION_FAILED,
            message,
            retry=Retry.BACKOFF,
            secret_fix=_LOGIN_FIX,
        )
    if isinstance(error, DMSTransportError):
        certificate_failure = _certificate_failure(error)
        if certificate_failure is not None:
            return _tls_problem(doing, *certificate_failure)
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
    # until the next attempt; the first part is the same every time. The client's
    # generic hint gives way to `_LOGIN_FIX`, which names the Secret.
    if isinstance(error, DMSAuthenticationError):
        return str(error).split("; the next login attempt", 1)[0].removesuffix(_CLIENT_LOGIN_HINT)
    return str(error)


# The hint the DMS client appends to a rejected login.
_CLIENT_LOGIN_HINT = "; check the DMS username and password"
_LOGIN_FIX = "correct username and password in the credentials Secret {secret}"
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH: the
# certificate is trusted but names other hosts.
_NAME_MISMATCH_CODES = frozenset({62, 64})
_SKIP_VERIFY_HINT = 'or set insecureSkipTLSVerify: "true" there for a test setup'


def _certificate_failure(error: BaseException) -> tuple[str, bool] | None:
    """Return OpenSSL's reason, and whether the certificate names other hosts, when a
    TLS certificate verification failure caused `error`; otherwise None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            detail = current.verify_message or "certificate verify failed"
            return detail, current.verify_code in _NAME_MISMATCH_CODES
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(error):
        # Without the ssl error in the chain, OpenSSL's code in the message still shows it.
        return "certificate verify failed", False
    return None


def _tls_problem(doing: str, detail: str, name_mismatch: bool) -> Problem:
    """Build the problem for a DMS server certificate that failed TLS verification.

    Retried with backoff: a corrected Secret gives a new DMS session at the next retry.
    """
    message = (
        f"{doing} failed: the TLS certificate of the DMS endpoint failed verification ({detail})"
    )
    if name_mismatch:
        fix = (
            "make the key endpoint in the credentials Secret {secret} use a host name or IP "
            f"address that the certificate names, {_SKIP_VERIFY_HINT}"
        )
    else:
        fix = (
            "put the provider's CA bundle (PEM) under the key ca.crt in the credentials "
            f"Secret {{secret}}, {_SKIP_VERIFY_HINT}"
        )
    return Problem(Reason.TLS_VERIFICATION_FAILED, message, retry=Retry.BACKOFF, secret_fix=fix)


def name_credentials_secret(problem: Problem, body: Mapping[str, Any]) -> Problem:
    """Return `problem` with its `secret_fix` appended, naming the credentials Secret of
    the resource `body`; a problem without one is returned as it is."""
    if problem.secret_fix is None:
        return problem
    namespace = (body.get("metadata") or {}).get("namespace")
    name = ((body.get("spec") or {}).get("credentialsSecretRef") or {}).get("name")
    secret = f"{namespace}/{name}" if name else "named in spec.credentialsSecretRef"
    return Problem(
        problem.reason,
        f"{problem.message}; {problem.secret_fix.format(secret=secret)}",
        retry=problem.retry,
        delay=problem.delay,
        ready=problem.ready,
    )


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
