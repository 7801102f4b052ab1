"""DMS errors become problems with a reason, a retry rule and a stable message."""

from __future__ import annotations

import kopf
import pytest

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
    DMSTimeoutError,
)
from dms_operator.models.common import ConditionStatus
from dms_operator.reconcile.outcomes import (
    Problem,
    Requeue,
    Retry,
    backoff_delay,
    permanent,
    problem_from_dms_error,
    raise_for_problem,
    raise_for_requeue,
    transient,
)
from dms_operator.settings import OperatorSettings

SETTINGS = OperatorSettings(error_backoff_base_seconds=2, error_backoff_max_seconds=30)


@pytest.mark.parametrize(
    ("error", "reason", "retry", "ready"),
    [
        (DMSAuthenticationError("login rejected"), "AuthenticationFailed", Retry.BACKOFF, "False"),
        (DMSForbiddenError("403"), "Forbidden", Retry.PERMANENT, "False"),
        (DMSNoDefaultOrgError("2 orgs"), "OrganizationAmbiguous", Retry.PERMANENT, "False"),
        (DMSServerError("503"), "DMSUnavailable", Retry.BACKOFF, "Unknown"),
        (DMSTimeoutError("timed out"), "DMSUnavailable", Retry.BACKOFF, "Unknown"),
        (DMSRateLimitedError("429"), "DMSUnavailable", Retry.BACKOFF, "Unknown"),
        (DMSRateLimitedError("429", retry_after=7), "DMSUnavailable", Retry.AFTER, "Unknown"),
        (
            DMSInvalidRequestError("bad", error_type="VALIDATION_ERROR"),
            "DMSRejected",
            Retry.PERMANENT,
            "False",
        ),
        (
            DMSInvalidRequestError("busy", error_type="INVALID_STATE"),
            "ReconcileError",
            Retry.BACKOFF,
            "False",
        ),
        (DMSAlreadyExistsError("taken"), "NameConflict", Retry.BACKOFF, "False"),
        (DMSNotFoundError("404"), "ReconcileError", Retry.BACKOFF, "False"),
    ],
)
def test_error_mapping(error: DMSError, reason: str, retry: Retry, ready: str) -> None:
    problem = problem_from_dms_error(error, "reading x")

    assert problem.reason == reason
    assert problem.retry is retry
    assert problem.ready == ConditionStatus(ready)
    assert problem.message.startswith("reading x failed: ")


def test_rate_limit_delay_from_retry_after() -> None:
    problem = problem_from_dms_error(DMSRateLimitedError("429", retry_after=7), "listing")

    assert problem.delay == 7


def test_repeated_login_rejection_has_same_message() -> None:
    first = DMSAuthenticationError("DMS POST /provider/session failed with HTTP 400")
    repeated = DMSAuthenticationError(
        "DMS POST /provider/session failed with HTTP 400; the next login attempt with these "
        "credentials is in 42 s"
    )

    assert (
        problem_from_dms_error(first, "login").message
        == problem_from_dms_error(repeated, "login").message
    )


def test_backoff_doubles_up_to_maximum() -> None:
    assert [backoff_delay(SETTINGS, retry) for retry in range(6)] == [2, 4, 8, 16, 30, 30]


def test_permanent_raises_permanent_error() -> None:
    with pytest.raises(kopf.PermanentError, match="unknown version"):
        raise_for_problem(permanent("VersionNotFound", "unknown version"), SETTINGS, 0)  # type: ignore[arg-type]


def test_transient_raises_temporary_error_with_backoff() -> None:
    with pytest.raises(kopf.TemporaryError) as raised:
        raise_for_problem(transient("CredentialsNotFound", "missing"), SETTINGS, 2)  # type: ignore[arg-type]

    assert raised.value.delay == 8


def test_retry_after_respected() -> None:
    problem = Problem("DMSUnavailable", "slow down", retry=Retry.AFTER, delay=12)  # type: ignore[arg-type]

    with pytest.raises(kopf.TemporaryError) as raised:
        raise_for_problem(problem, SETTINGS, 0)

    assert raised.value.delay == 12


def test_requeue_message_says_waiting() -> None:
    with pytest.raises(kopf.TemporaryError) as raised:
        raise_for_requeue(Requeue(0.5, "task runs"))

    assert raised.value.delay == 0.5
    assert str(raised.value) == "waiting for DMS: task runs"


def test_problem_message_is_one_line() -> None:
    assert transient("ReconcileError", "a\n  b").message == "a b"  # type: ignore[arg-type]
