"""Client pool: one session per login, new session after a Secret change, observer, logs."""

import asyncio
import logging

import pytest
from pydantic import SecretStr

from dms_operator.clients.dms.errors import DMSNotFoundError
from dms_operator.clients.dms.observer import SessionEvent
from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.settings import OperatorSettings

from .fakes import ENDPOINT, ORG_ID, FakeClock, FakeDMS, credentials, json_response

PATH = "/provider/databases/db-1"
DATABASE = {"id": "db-1", "instanceName": "orders-pg", "status": "ONLINE"}


@pytest.fixture(autouse=True)
def database_route(fake_dms: FakeDMS) -> None:
    fake_dms.on("GET", PATH, json_response(200, DATABASE))


class RecordingObserver:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, float]] = []
        self.sessions: list[tuple[str, SessionEvent]] = []

    def request_finished(self, operation: str, outcome: str, seconds: float) -> None:
        self.requests.append((operation, outcome, seconds))

    def session_established(self, endpoint: str, event: SessionEvent) -> None:
        self.sessions.append((endpoint, event))


async def test_same_login_shares_one_session(fake_dms: FakeDMS, pool: DMSClientPool) -> None:
    # Two resources parse the same Secret into two equal, separate objects.
    first = pool.session_for(credentials())
    second = pool.session_for(credentials())

    await asyncio.gather(first.get_database(ORG_ID, "db-1"), second.get_database(ORG_ID, "db-1"))

    assert first is second
    assert fake_dms.logins == 1


async def test_changed_secret_gives_new_session(fake_dms: FakeDMS, pool: DMSClientPool) -> None:
    old = pool.session_for(credentials())
    await old.get_database(ORG_ID, "db-1")

    fake_dms.password = "N3w!password"
    new = pool.session_for(credentials(password=SecretStr("N3w!password")))
    await new.get_database(ORG_ID, "db-1")

    assert new is not old
    assert pool.session_for(credentials(password=SecretStr("N3w!password"))) is new
    assert fake_dms.logins == 2
    assert fake_dms.requests[-2].url.path == "/provider/session"
    assert b"N3w!password" in fake_dms.requests[-2].content


def test_sessions_keyed_by_username_and_tls(pool: DMSClientPool) -> None:
    base = pool.session_for(credentials())
    other_user = pool.session_for(credentials(username="other@example.com"))
    other_tls = pool.session_for(credentials(insecure_skip_tls_verify=True))
    other_endpoint = pool.session_for(credentials(endpoint="https://dms-2.example"))

    assert len({id(base), id(other_user), id(other_tls), id(other_endpoint)}) == 4
    # Same endpoint and TLS configuration: one HTTP client for both logins.
    assert base._http is other_user._http
    assert base._http is not other_tls._http
    assert base._http is not other_endpoint._http


async def test_aclose_closes_clients(pool: DMSClientPool) -> None:
    session = pool.session_for(credentials())
    async_client = session._http._client

    await pool.aclose()

    assert async_client.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        pool.session_for(credentials())


async def test_insecure_warning_once_per_endpoint(
    pool: DMSClientPool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dms_operator.clients.dms")

    pool.session_for(credentials(insecure_skip_tls_verify=True))
    pool.session_for(credentials(insecure_skip_tls_verify=True, username="b@example.com"))
    pool.session_for(credentials())

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert ENDPOINT in warnings[0].getMessage()
    assert "verification is off" in warnings[0].getMessage()


async def test_observer_sees_requests_and_logins(fake_dms: FakeDMS, clock: FakeClock) -> None:
    observer = RecordingObserver()
    settings = OperatorSettings(dms_path_prefix="/provider")
    pool = DMSClientPool(settings, observer=observer, transport=fake_dms.transport(), clock=clock)
    try:
        session = pool.session_for(credentials())
        await session.get_database(ORG_ID, "db-1")
        with pytest.raises(DMSNotFoundError):
            await session.get_task(ORG_ID, "missing")
    finally:
        await pool.aclose()

    outcomes = [(op, outcome) for op, outcome, _ in observer.requests]
    assert outcomes == [
        ("POST /session", "200"),
        ("GET /databases/{id}", "200"),
        ("GET /mastertasks/{id}", "404"),
    ]
    assert all(seconds >= 0 for _, _, seconds in observer.requests)
    assert observer.sessions == [(ENDPOINT, "login")]


async def test_failing_observer_does_not_break_calls(fake_dms: FakeDMS, clock: FakeClock) -> None:
    class BrokenObserver(RecordingObserver):
        def request_finished(self, operation: str, outcome: str, seconds: float) -> None:
            raise ValueError("metrics backend down")

    pool = DMSClientPool(
        OperatorSettings(dms_path_prefix="/provider"),
        observer=BrokenObserver(),
        transport=fake_dms.transport(),
        clock=clock,
    )
    try:
        database = await pool.session_for(credentials()).get_database(ORG_ID, "db-1")
    finally:
        await pool.aclose()

    assert database.id == "db-1"


async def test_one_debug_line_per_request(
    fake_dms: FakeDMS, pool: DMSClientPool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dms_operator.clients.dms")

    await pool.session_for(credentials()).get_database(ORG_ID, "db-1")

    lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.DEBUG and r.name == "dms_operator.clients.dms.http"
    ]
    assert lines[0].startswith("DMS dms.example POST /session -> 200 in ")
    assert lines[1].startswith("DMS dms.example GET /databases/{id} -> 200 in ")
    assert len(lines) == 2


async def test_plain_http_warning(pool: DMSClientPool, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dms_operator.clients.dms")

    pool.session_for(credentials(endpoint="http://127.0.0.1:8080"))
    pool.session_for(credentials(endpoint="http://127.0.0.1:8080", username="b@example.com"))

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "plain HTTP" in warnings[0]
