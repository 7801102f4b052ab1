"""Retries: backoff with full jitter, Retry-After, bounded attempts, POST never repeated."""

import random

import httpx
import pytest

from dms_operator.clients.dms.errors import (
    DMSInvalidRequestError,
    DMSRateLimitedError,
    DMSServerError,
    DMSTransportError,
)
from dms_operator.clients.dms.retry import RetryPolicy
from dms_operator.clients.dms.session import DMSSession
from dms_operator.models.dms import OrgCreate

from .fakes import ORG_ID, FakeDMS, RecordingSleep, error_response, json_response

PATH = "/provider/databases/db-1"
DATABASE = {"id": "db-1", "instanceName": "orders-pg", "status": "ONLINE"}


class MaxRandom(random.Random):
    """Always draws the upper bound, exposing the backoff ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_ceiling_doubles_up_to_cap() -> None:
    policy = RetryPolicy(attempts=10, backoff_base=0.5, backoff_max=10.0, rng=MaxRandom())

    ceilings = [policy.backoff(n) for n in range(1, 8)]

    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_is_jittered_within_ceiling() -> None:
    policy = RetryPolicy(attempts=10, backoff_base=0.5, backoff_max=10.0, rng=random.Random(7))

    draws = [policy.backoff(3) for _ in range(200)]

    assert all(0.0 <= d <= 2.0 for d in draws)
    # Full jitter spreads the waits over the whole range instead of one fixed value.
    assert min(draws) < 0.5
    assert max(draws) > 1.5


async def test_get_retried_until_success(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on(
        "GET",
        PATH,
        error_response(503, "INTERNAL_ERROR", "busy"),
        error_response(502, "INTERNAL_ERROR", "busy"),
        json_response(200, DATABASE),
    )

    database = await session.get_database(ORG_ID, "db-1")

    assert database.id == "db-1"
    assert len(fake_dms.data_requests()) == 3
    assert len(sleeps.delays) == 2
    assert 0.0 <= sleeps.delays[0] <= 0.5
    assert 0.0 <= sleeps.delays[1] <= 1.0


async def test_attempts_are_bounded(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on("GET", PATH, error_response(500, "INTERNAL_ERROR", "broken"))

    with pytest.raises(DMSServerError):
        await session.get_database(ORG_ID, "db-1")

    # The fixture's settings allow 3 attempts.
    assert len(fake_dms.data_requests()) == 3
    assert len(sleeps.delays) == 2


async def test_retry_after_is_honoured(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on(
        "GET",
        PATH,
        error_response(429, "TOO_MANY_REQUESTS", "slow down", {"Retry-After": "3"}),
        json_response(200, DATABASE),
    )

    await session.get_database(ORG_ID, "db-1")

    assert sleeps.delays == [3.0]


async def test_long_retry_after_is_raised(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on(
        "GET",
        PATH,
        error_response(429, "TOO_MANY_REQUESTS", "slow down", {"Retry-After": "60"}),
        json_response(200, DATABASE),
    )

    with pytest.raises(DMSRateLimitedError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert caught.value.retry_after == 60.0
    assert sleeps.delays == []
    assert len(fake_dms.data_requests()) == 1


async def test_client_error_not_retried(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on("PUT", PATH + "/power-on", error_response(400, "INVALID_STATE", "is ONLINE"))

    with pytest.raises(DMSInvalidRequestError):
        await session.power_on(ORG_ID, "db-1")

    assert len(fake_dms.data_requests()) == 1
    assert sleeps.delays == []


async def test_put_and_delete_are_retried(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    busy = error_response(503, "INTERNAL_ERROR", "busy")
    fake_dms.on("PUT", PATH + "/power-off", busy, json_response(200, {"task_id": "t-1"}))
    fake_dms.on("DELETE", PATH, busy, json_response(200, {"task_id": "t-2"}))

    off = await session.power_off(ORG_ID, "db-1")
    deleted = await session.delete_database(ORG_ID, "db-1")

    assert off.task_id == "t-1"
    assert deleted.task_id == "t-2"
    assert len(sleeps.delays) == 2


async def test_create_not_retried_on_server_error(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on(
        "POST",
        "/provider/orgs",
        error_response(503, "INTERNAL_ERROR", "busy"),
        json_response(200, {"id": "o", "companyName": "Acme"}),
    )

    with pytest.raises(DMSServerError) as caught:
        await session.create_org(OrgCreate(company_name="Acme", email="a@example.com"))

    assert len(fake_dms.data_requests()) == 1
    assert sleeps.delays == []
    assert caught.value.retryable
    assert caught.value.outcome_unknown


async def test_create_not_retried_on_transport_error(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server disconnected", request=request)

    fake_dms.on("POST", "/provider/databases/db-1/backup", drop)

    with pytest.raises(DMSTransportError) as caught:
        await session.create_backup(ORG_ID, "db-1", "nightly")

    assert len(fake_dms.data_requests()) == 1
    assert sleeps.delays == []
    assert caught.value.outcome_unknown


async def test_login_is_retried(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.login_failures = [error_response(503, "INTERNAL_ERROR", "starting")]
    fake_dms.on("GET", PATH, json_response(200, DATABASE))

    await session.get_database(ORG_ID, "db-1")

    assert fake_dms.logins == 2
    assert len(sleeps.delays) == 1


def test_policy_from_retry_after_beyond_cap() -> None:
    policy = RetryPolicy(attempts=5, backoff_base=1.0, backoff_max=10.0)
    within = DMSRateLimitedError("x", retry_after=10.0)
    beyond = DMSRateLimitedError("x", retry_after=10.5)
    not_retryable = DMSInvalidRequestError("x")

    assert policy.delay_for(within, 1) == 10.0
    assert policy.delay_for(beyond, 1) is None
    assert policy.delay_for(not_retryable, 1) is None
    assert policy.delay_for(DMSServerError("x"), 5) is None
