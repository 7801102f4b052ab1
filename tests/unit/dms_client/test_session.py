"""Session lifecycle: lazy login, renewal before exp, re-login on 401, one shared login."""

import asyncio
import json

import httpx
import pytest

from dms_operator.clients.dms.core import jwt_expiry
from dms_operator.clients.dms.errors import (
    DMSAuthenticationError,
    DMSNoDefaultOrgError,
    DMSUnexpectedResponseError,
)
from dms_operator.clients.dms.pool import DMSClientPool
from dms_operator.clients.dms.session import DMSSession
from dms_operator.settings import OperatorSettings

from .fakes import (
    ORG_ID,
    PASSWORD,
    USERNAME,
    FakeClock,
    FakeDMS,
    RecordingSleep,
    credentials,
    error_response,
    json_response,
    make_jwt,
)

PATH = "/provider/databases/db-1"
DATABASE = {"id": "db-1", "instanceName": "orders-pg", "status": "ONLINE"}


@pytest.fixture(autouse=True)
def database_route(fake_dms: FakeDMS) -> None:
    fake_dms.on("GET", PATH, json_response(200, DATABASE))


def test_jwt_expiry() -> None:
    assert jwt_expiry("Bearer " + make_jwt({"exp": 1234})) == 1234.0
    assert jwt_expiry(make_jwt({"exp": 12.5})) == 12.5
    assert jwt_expiry("Bearer " + make_jwt({"sub": "x"})) is None
    assert jwt_expiry("Bearer " + make_jwt({"exp": True})) is None
    assert jwt_expiry("Bearer not-a-jwt") is None
    assert jwt_expiry("Bearer a.!!!.c") is None


async def test_login_is_lazy(fake_dms: FakeDMS, pool: DMSClientPool) -> None:
    session = pool.session_for(credentials())

    assert fake_dms.requests == []
    memberships_before_login = session.memberships
    assert memberships_before_login == ()

    await session.get_database(ORG_ID, "db-1")

    login = fake_dms.requests[0]
    assert login.method == "POST"
    assert login.url.path == "/provider/session"
    assert json.loads(login.content) == {"email": USERNAME, "password": PASSWORD}
    assert "Authorization" not in login.headers
    assert [m.org_id for m in session.memberships] == [ORG_ID]


async def test_token_and_headers_sent_verbatim(fake_dms: FakeDMS, session: DMSSession) -> None:
    await session.get_database(ORG_ID, "db-1")

    (token,) = fake_dms.valid_tokens
    request = fake_dms.data_requests()[0]
    assert request.headers["Authorization"] == token
    assert request.headers["X-Org-ID"] == ORG_ID
    assert request.headers["Accept"] == "application/vnd.vmware.dms-v1+json"
    assert request.headers["User-Agent"].startswith("dms-operator/")


async def test_token_reused_between_calls(fake_dms: FakeDMS, session: DMSSession) -> None:
    for _ in range(3):
        await session.get_database(ORG_ID, "db-1")

    assert fake_dms.logins == 1
    assert fake_dms.renewals == 0


async def test_renews_within_margin_before_exp(
    fake_dms: FakeDMS, session: DMSSession, clock: FakeClock
) -> None:
    await session.get_database(ORG_ID, "db-1")
    first_token = fake_dms.data_requests()[0].headers["Authorization"]

    clock.advance(1800 - 200)  # outside the 120 s margin
    await session.get_database(ORG_ID, "db-1")
    assert fake_dms.renewals == 0

    clock.advance(100)  # 100 s before exp, inside the margin
    await session.get_database(ORG_ID, "db-1")

    assert fake_dms.renewals == 1
    assert fake_dms.logins == 1
    renewal = next(r for r in fake_dms.requests if r.url.path == "/provider/session/renew")
    assert renewal.headers["Authorization"] == first_token
    last_token = fake_dms.data_requests()[-1].headers["Authorization"]
    assert last_token != first_token
    assert last_token in fake_dms.valid_tokens


async def test_failed_renewal_falls_back_to_login(
    fake_dms: FakeDMS, session: DMSSession, clock: FakeClock
) -> None:
    await session.get_database(ORG_ID, "db-1")
    fake_dms.renew_response = error_response(400, "VALIDATION_ERROR", "renewal not supported")

    clock.advance(1800 - 60)
    await session.get_database(ORG_ID, "db-1")

    assert fake_dms.renewals == 1
    assert fake_dms.logins == 2


async def test_renewal_without_token_header_falls_back_to_login(
    fake_dms: FakeDMS, session: DMSSession, clock: FakeClock
) -> None:
    await session.get_database(ORG_ID, "db-1")
    fake_dms.renew_response = json_response(200, {"email": USERNAME})

    clock.advance(1800 - 60)
    await session.get_database(ORG_ID, "db-1")

    assert fake_dms.logins == 2


async def test_expired_token_logs_in_without_renewing(
    fake_dms: FakeDMS, session: DMSSession, clock: FakeClock
) -> None:
    await session.get_database(ORG_ID, "db-1")

    clock.advance(1800 + 1)
    await session.get_database(ORG_ID, "db-1")

    assert fake_dms.renewals == 0
    assert fake_dms.logins == 2


async def test_margin_capped_at_half_lifetime(
    fake_dms: FakeDMS, session: DMSSession, clock: FakeClock
) -> None:
    fake_dms.token_lifetime = 60  # shorter than the 120 s margin

    await session.get_database(ORG_ID, "db-1")
    clock.advance(20)
    await session.get_database(ORG_ID, "db-1")
    assert fake_dms.renewals == 0

    clock.advance(11)
    await session.get_database(ORG_ID, "db-1")
    assert fake_dms.renewals == 1


async def test_opaque_token_kept_until_rejected(
    fake_dms: FakeDMS, session: DMSSession, clock: FakeClock
) -> None:
    fake_dms.opaque_tokens = True

    await session.get_database(ORG_ID, "db-1")
    clock.advance(10 * 86400)
    await session.get_database(ORG_ID, "db-1")

    assert fake_dms.logins == 1
    assert fake_dms.renewals == 0


async def test_relogin_on_401_mid_operation(fake_dms: FakeDMS, session: DMSSession) -> None:
    await session.get_database(ORG_ID, "db-1")
    fake_dms.revoke_all()  # e.g. DMS restarted and forgot its tokens

    database = await session.get_database(ORG_ID, "db-1")

    assert database.id == "db-1"
    assert fake_dms.logins == 2
    paths = [r.url.path for r in fake_dms.requests]
    assert paths == [
        "/provider/session",
        PATH,
        PATH,  # rejected with 401
        "/provider/session",
        PATH,
    ]


async def test_relogin_only_once_on_repeated_401(
    fake_dms: FakeDMS, session: DMSSession, sleeps: RecordingSleep
) -> None:
    fake_dms.on("GET", PATH, error_response(401, "UNAUTHORIZED", "token revoked"))

    with pytest.raises(DMSAuthenticationError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert caught.value.status_code == 401
    assert fake_dms.logins == 2
    assert len(fake_dms.data_requests()) == 2
    assert sleeps.delays == []


async def test_post_repeated_once_after_401(fake_dms: FakeDMS, session: DMSSession) -> None:
    await session.get_database(ORG_ID, "db-1")
    fake_dms.revoke_all()
    fake_dms.on("POST", PATH + "/backup", json_response(200, {"task_id": "t-1"}))

    ref = await session.create_backup(ORG_ID, "db-1", "manual-1")

    assert ref.task_id == "t-1"
    posts = [r for r in fake_dms.data_requests() if r.method == "POST"]
    assert len(posts) == 2


async def test_wrong_password_raises_authentication_error(
    fake_dms: FakeDMS, pool: DMSClientPool
) -> None:
    session = pool.session_for(credentials(password="Wrong!pass1"))

    with pytest.raises(DMSAuthenticationError) as caught:
        await session.get_database(ORG_ID, "db-1")

    assert caught.value.status_code == 400
    assert caught.value.error_type == "AUTHENTICATION_FAILURE"
    assert fake_dms.logins == 1  # a rejected login is not retried
    assert fake_dms.data_requests() == []


async def test_login_without_token_header(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.login_failures = [json_response(200, {"email": USERNAME})]

    with pytest.raises(DMSUnexpectedResponseError, match="without an Authorization header"):
        await session.get_database(ORG_ID, "db-1")


async def test_concurrent_requests_share_one_login(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.login_gate = asyncio.Event()
    tasks = [asyncio.create_task(session.get_database(ORG_ID, "db-1")) for _ in range(10)]

    await asyncio.wait_for(fake_dms.login_started.wait(), timeout=5)
    # Let every task run up to the point where it waits for the login.
    for _ in range(10):
        await asyncio.sleep(0)
    fake_dms.login_gate.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)

    assert len(results) == 10
    assert fake_dms.logins == 1
    assert len(fake_dms.data_requests()) == 10


async def test_concurrent_401s_share_one_relogin(fake_dms: FakeDMS, session: DMSSession) -> None:
    await session.get_database(ORG_ID, "db-1")
    fake_dms.revoke_all()

    await asyncio.gather(*(session.get_database(ORG_ID, "db-1") for _ in range(5)))

    assert fake_dms.logins == 2


async def test_default_org_id_single_membership(session: DMSSession) -> None:
    assert await session.default_org_id() == ORG_ID


async def test_default_org_id_without_membership(fake_dms: FakeDMS, session: DMSSession) -> None:
    fake_dms.memberships = []

    with pytest.raises(DMSNoDefaultOrgError, match="belongs to no organization"):
        await session.default_org_id()


async def test_default_org_id_with_several_memberships(
    fake_dms: FakeDMS, session: DMSSession
) -> None:
    fake_dms.memberships = [
        {"orgId": "org-a", "companyName": "A"},
        {"orgId": "org-b", "companyName": "B"},
    ]

    with pytest.raises(DMSNoDefaultOrgError) as caught:
        await session.default_org_id()

    assert "2 organizations" in str(caught.value)
    assert "org-a" in str(caught.value)
    assert "org-b" in str(caught.value)


async def test_session_info(session: DMSSession) -> None:
    info = await session.session_info()

    assert info.email == USERNAME
    assert info.org_memberships[0].company_name == "Acme"


async def test_custom_path_prefix(fake_dms: FakeDMS, clock: FakeClock) -> None:
    settings = OperatorSettings(dms_path_prefix="/api/")
    seen: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        rewritten = request.url.copy_with(path=request.url.path.replace("/api", "/provider", 1))
        forwarded = httpx.Request(
            request.method, rewritten, headers=request.headers, content=request.content
        )
        return await fake_dms.handle(forwarded)

    pool = DMSClientPool(settings, transport=httpx.MockTransport(handle), clock=clock)
    try:
        await pool.session_for(credentials()).get_database(ORG_ID, "db-1")
    finally:
        await pool.aclose()

    assert seen == ["/api/session", "/api/databases/db-1"]


async def test_rejected_login_not_repeated_during_backoff(
    fake_dms: FakeDMS, pool: DMSClientPool, clock: FakeClock
) -> None:
    session = pool.session_for(credentials(password="Wrong!pass1"))

    results = await asyncio.gather(
        *(session.get_database(ORG_ID, "db-1") for _ in range(5)), return_exceptions=True
    )

    assert all(isinstance(result, DMSAuthenticationError) for result in results)
    assert fake_dms.logins == 1
    assert "next login attempt" in str(results[-1])

    clock.advance(61)  # the fixture's backoff is the default 60 s
    with pytest.raises(DMSAuthenticationError):
        await session.get_database(ORG_ID, "db-1")
    assert fake_dms.logins == 2


async def test_fixed_secret_logs_in_at_once(fake_dms: FakeDMS, pool: DMSClientPool) -> None:
    wrong = pool.session_for(credentials(password="Wrong!pass1"))
    with pytest.raises(DMSAuthenticationError):
        await wrong.get_database(ORG_ID, "db-1")

    fixed = pool.session_for(credentials())
    database = await fixed.get_database(ORG_ID, "db-1")

    assert database.id == "db-1"
    assert fake_dms.logins == 2
