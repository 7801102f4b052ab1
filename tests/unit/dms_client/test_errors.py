"""Mapping of HTTP statuses and httpx exceptions to DMS errors, and Retry-After parsing."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from dms_operator.clients.dms.error_mapping import error_from_exception, error_from_response
from dms_operator.clients.dms.errors import (
    DMSAlreadyExistsError,
    DMSAuthenticationError,
    DMSError,
    DMSForbiddenError,
    DMSInvalidRequestError,
    DMSNotFoundError,
    DMSRateLimitedError,
    DMSServerError,
    DMSTimeoutError,
    DMSTransportError,
    DMSUnexpectedResponseError,
    parse_retry_after,
)
from dms_operator.clients.dms.session import DMSSession

from .fakes import ORG_ID, FakeDMS, error_response

PATH = "/provider/databases/db-1"


@pytest.mark.parametrize(
    ("status", "error_type", "expected", "retryable"),
    [
        (400, "VALIDATION_ERROR", DMSInvalidRequestError, False),
        (400, "INVALID_STATE", DMSInvalidRequestError, False),
        (400, "ALREADY_EXISTS", DMSAlreadyExistsError, False),
        (409, "CONFLICT", DMSAlreadyExistsError, False),
        (401, "UNAUTHORIZED", DMSAuthenticationError, False),
        (403, "FORBIDDEN", DMSForbiddenError, False),
        (404, "NOT_FOUND", DMSNotFoundError, False),
        (422, "VALIDATION_ERROR", DMSInvalidRequestError, False),
        (429, "TOO_MANY_REQUESTS", DMSRateLimitedError, True),
        (500, "INTERNAL_ERROR", DMSServerError, True),
        (503, "INTERNAL_ERROR", DMSServerError, True),
        (302, "REDIRECT", DMSUnexpectedResponseError, False),
    ],
)
def test_status_maps_to_error_class(
    status: int, error_type: str, expected: type[DMSError], retryable: bool
) -> None:
    response = error_response(status, error_type, "something\n  went wrong")

    error = error_from_response(response, method="GET", path=PATH)

    assert type(error) is expected
    assert error.retryable is retryable
    assert error.status_code == status
    assert error.method == "GET"
    assert error.path == PATH
    assert error.error_type == error_type
    assert error.dms_message == "something went wrong"
    assert "\n" not in str(error)
    assert f"GET {PATH}" in str(error)
    assert str(status) in str(error)


def test_login_rejection_is_authentication_error() -> None:
    response = error_response(400, "AUTHENTICATION_FAILURE", "Authentication failure")

    error = error_from_response(response, method="POST", path="/provider/session", login=True)

    assert isinstance(error, DMSAuthenticationError)
    assert "username and password" in str(error)


def test_login_rate_limit_stays_rate_limit() -> None:
    response = error_response(429, "TOO_MANY_REQUESTS", "slow down", {"Retry-After": "5"})

    error = error_from_response(response, method="POST", path="/provider/session", login=True)

    assert isinstance(error, DMSRateLimitedError)
    assert error.retry_after == 5.0


def test_rate_limit_carries_retry_after() -> None:
    response = error_response(429, "TOO_MANY_REQUESTS", "slow down", {"Retry-After": "30"})

    error = error_from_response(response, method="GET", path=PATH)

    assert isinstance(error, DMSRateLimitedError)
    assert error.retry_after == 30.0
    assert "retry after 30 s" in str(error)


def test_non_json_error_body() -> None:
    plain = httpx.Response(502, text="Bad gateway from the proxy")
    html = httpx.Response(
        502, text="<html><body>oops</body></html>", headers={"Content-Type": "text/html"}
    )

    plain_error = error_from_response(plain, method="GET", path=PATH)
    html_error = error_from_response(html, method="GET", path=PATH)

    assert plain_error.dms_message == "Bad gateway from the proxy"
    assert html_error.dms_message is None
    assert isinstance(html_error, DMSServerError)


def test_long_dms_message_is_cut() -> None:
    response = error_response(400, "VALIDATION_ERROR", "x" * 5000)

    error = error_from_response(response, method="GET", path=PATH)

    assert error.dms_message is not None
    assert len(error.dms_message) <= 300
    assert error.dms_message.endswith("…")


def test_server_error_on_create_has_unknown_outcome() -> None:
    response = error_response(500, "INTERNAL_ERROR", "boom")

    on_post = error_from_response(response, method="POST", path="/provider/databases", creates=True)
    on_get = error_from_response(response, method="GET", path=PATH)

    assert on_post.outcome_unknown
    assert on_post.retryable
    assert "look the object up by name" in str(on_post)
    assert not on_get.outcome_unknown


@pytest.mark.parametrize(
    ("exc", "expected", "outcome_unknown"),
    [
        (httpx.ConnectError("connection refused"), DMSTransportError, False),
        (httpx.ConnectTimeout("connect timed out"), DMSTimeoutError, False),
        (httpx.PoolTimeout("no free connection"), DMSTimeoutError, False),
        (httpx.ReadTimeout("read timed out"), DMSTimeoutError, True),
        (httpx.RemoteProtocolError("server disconnected"), DMSTransportError, True),
        (httpx.WriteError("broken pipe"), DMSTransportError, True),
    ],
)
def test_transport_errors_on_create(
    exc: httpx.RequestError, expected: type[DMSTransportError], outcome_unknown: bool
) -> None:
    error = error_from_exception(exc, method="POST", path="/provider/databases", creates=True)

    assert type(error) is expected
    assert error.retryable
    assert error.status_code is None
    assert error.outcome_unknown is outcome_unknown
    assert "POST /provider/databases" in str(error)
    assert type(exc).__name__ in str(error)


async def test_transport_error_is_chained(fake_dms: FakeDMS, session: DMSSession) -> None:
    def refuse_connection(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake_dms.on("GET", PATH, refuse_connection)

    with pytest.raises(DMSTransportError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.path == PATH


async def test_read_timeout_becomes_timeout_error(fake_dms: FakeDMS, session: DMSSession) -> None:
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake_dms.on("GET", PATH, time_out)

    with pytest.raises(DMSTimeoutError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.retryable


async def test_not_found_through_session(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.on("GET", PATH, error_response(404, "NOT_FOUND", "Database db-1 not found"))

    with pytest.raises(DMSNotFoundError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert caught.value.dms_message == "Database db-1 not found"
    assert caught.value.status_code == 404
    assert str(caught.value) == (
        f"DMS GET {PATH} failed with HTTP 404 (NOT_FOUND): Database db-1 not found"
    )


def test_retry_after_seconds() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("-3") == 0.0


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=45), usegmt=True)
    earlier = format_datetime(now - timedelta(seconds=45), usegmt=True)

    assert parse_retry_after(later, now=now) == 45.0
    assert parse_retry_after(earlier, now=now) == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:01:00 -0000", now=now) == 60.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2026"])
def test_retry_after_unparseable(value: str | None) -> None:
    assert parse_retry_after(value) is None
