"""Sessions, tokens, org membership and roles."""

from __future__ import annotations

import time
from collections.abc import Callable

from dms_testenv.simulator import (
    USER_PASSWORD,
    DmsSession,
    SimulatorClient,
    SimulatorProcess,
    unique_name,
)

PROVIDER_EMAIL = "provider@sim.example"
PROVIDER_PASSWORD = "Provider1!"

MEDIA_TYPE = "application/vnd.vmware.dms-v1+json"


def test_login_returns_token_and_membership(dms: SimulatorClient) -> None:
    response = dms.call(
        "POST", "/session", json={"email": PROVIDER_EMAIL, "password": PROVIDER_PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["Authorization"].startswith("Bearer ")
    assert response.headers["Content-Type"] == MEDIA_TYPE
    body = response.json()
    assert body["email"] == PROVIDER_EMAIL
    assert body["type"] == "TDM"
    membership = body["orgMemberships"][0]
    assert membership["roles"] == ["PROVIDER"]
    assert membership["userRoles"] == ["PROVIDER"]
    org = dms.call("GET", f"/orgs/{membership['orgId']}", dms.provider()).json()
    assert org["orgType"] == "PROVIDER_ORG"


def test_login_bad_password(dms: SimulatorClient) -> None:
    response = dms.call("POST", "/session", json={"email": PROVIDER_EMAIL, "password": "Wrong123!"})
    assert response.status_code == 400
    assert response.json()["errorCodes"]["type"] == "AUTHENTICATION_FAILURE"
    unknown = dms.call(
        "POST", "/session", json={"email": "nobody@x.example", "password": "A1!aaaaa"}
    )
    assert unknown.status_code == 400
    assert unknown.json()["errorCodes"]["type"] == "AUTHENTICATION_FAILURE"


def test_missing_or_malformed_token(dms: SimulatorClient) -> None:
    org_id = dms.provider().org_id
    missing = dms.call("GET", "/orgs", headers={"X-Org-ID": org_id})
    assert missing.status_code == 401
    assert missing.json()["errorCodes"]["type"] == "UNAUTHORIZED"
    garbage = dms.call(
        "GET", "/orgs", headers={"X-Org-ID": org_id, "Authorization": "Bearer x.y.z"}
    )
    assert garbage.status_code == 401


def test_token_expires_after_ttl(
    make_simulator: Callable[..., SimulatorProcess],
    client_for: Callable[..., SimulatorClient],
) -> None:
    process = make_simulator("--token-ttl-seconds", "1", name="short-ttl")
    client = client_for(process.base_url)
    session = client.provider()
    assert client.call("GET", "/orgs", session).status_code == 200
    deadline = time.monotonic() + 10
    response = client.call("GET", "/orgs", session)
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        response = client.call("GET", "/orgs", session)
    assert response.status_code == 401
    assert response.json()["message"] == "token expired"


def test_org_header_required_and_checked(dms: SimulatorClient) -> None:
    provider = dms.provider()
    no_org = dms.call("GET", "/orgs", headers={"Authorization": f"Bearer {provider.token}"})
    assert no_org.status_code == 400
    assert "X-Org-ID" in no_org.json()["message"]
    other = dms.create_org()
    wrong = dms.call("GET", "/orgs", headers={**provider.headers(), "X-Org-ID": other["id"]})
    assert wrong.status_code == 403
    assert wrong.json()["errorCodes"]["type"] == "FORBIDDEN"


def test_provider_cannot_use_database_routes(dms: SimulatorClient) -> None:
    provider = dms.provider()
    assert dms.call("GET", "/databases", provider).status_code == 403
    tenant = dms.tenant()
    body = dms.db_body(tenant)
    assert dms.call("POST", "/databases", provider, json=body).status_code == 403


def test_org_users_cannot_manage_orgs_or_plans(dms: SimulatorClient) -> None:
    tenant = dms.tenant(role="ORG_USER")
    user = tenant.admin
    org_body = {
        "companyName": unique_name("org"),
        "email": "a@b.example",
        "instanceMode": "FREE_MODE",
    }
    assert dms.call("POST", "/orgs", user, json=org_body).status_code == 403
    plan = {"name": unique_name("plan"), "cpu": 2, "memory": 4}
    assert dms.call("POST", "/instancetype", user, json=plan).status_code == 403
    users = dms.call("GET", "/users", user)
    assert users.status_code == 403


def test_org_admin_manages_own_users_only(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    other = dms.create_org()
    created, _ = dms.create_user(tenant.org["id"], ["ORG_USER"], session=tenant.admin)
    assert created["tenantId"] == tenant.org["id"]
    assert "password" not in created
    foreign = {
        "firstName": "A",
        "lastName": "B",
        "email": f"{unique_name('x')}@org.example",
        "password": USER_PASSWORD,
        "tenantId": other["id"],
        "roles": ["ORG_USER"],
    }
    assert dms.call("POST", "/users", tenant.admin, json=foreign).status_code == 403
    listed = dms.call("GET", "/users", tenant.admin).json()["content"]
    assert {user["tenantId"] for user in listed} == {tenant.org["id"]}
    foreign_user, _ = dms.create_user(other["id"], ["ORG_USER"])
    assert dms.call("DELETE", f"/users/{foreign_user['id']}", tenant.admin).status_code == 403
    assert dms.call("DELETE", f"/users/{created['id']}", tenant.admin).status_code == 200
    assert dms.call("DELETE", f"/users/{created['id']}", tenant.admin).status_code == 404


def test_org_user_sees_only_own_org(dms: SimulatorClient) -> None:
    tenant = dms.tenant(role="ORG_USER")
    other = dms.create_org()
    orgs = dms.call("GET", "/orgs", tenant.admin).json()
    assert [org["id"] for org in orgs["content"]] == [tenant.org["id"]]
    assert dms.call("GET", f"/orgs/{other['id']}", tenant.admin).status_code == 403
    envs = dms.call(
        "GET", "/environments/search/withOrgId", tenant.admin, params={"tenantId": other["id"]}
    )
    assert envs.status_code == 403


def test_renew_and_logout(dms: SimulatorClient) -> None:
    session = dms.login(PROVIDER_EMAIL, PROVIDER_PASSWORD)
    renewed = dms.call("POST", "/session/renew", session)
    assert renewed.status_code == 200
    new_token = renewed.headers["Authorization"].removeprefix("Bearer ")
    assert new_token != session.token
    fresh = DmsSession(token=new_token, org_id=session.org_id, email=session.email)
    assert dms.call("POST", "/session/logout", session).status_code == 200
    assert dms.call("GET", "/orgs", session).status_code == 401
    assert dms.call("GET", "/orgs", fresh).status_code == 200


def test_deleted_user_token_rejected(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    user, email = dms.create_user(tenant.org["id"], ["ORG_USER"])
    session = dms.login(email, USER_PASSWORD)
    assert dms.call("GET", "/databases", session).status_code == 200
    assert dms.call("DELETE", f"/users/{user['id']}", dms.provider()).status_code == 200
    assert dms.call("GET", "/databases", session).status_code == 401


def test_provider_admin_cannot_be_deleted(dms: SimulatorClient) -> None:
    provider = dms.provider()
    users = dms.call("GET", "/users", provider, params={"email": PROVIDER_EMAIL}).json()
    admin_id = users["content"][0]["id"]
    response = dms.call("DELETE", f"/users/{admin_id}", provider)
    assert response.status_code == 400
