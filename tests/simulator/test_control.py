"""The test-control API: injected faults, token expiry and revocation,
out-of-band changes, extra environments and the request log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from dms_testenv.simulator import DB_PASSWORD, USER_PASSWORD, SimulatorClient


@pytest.fixture(autouse=True)
def no_faults_left(dms: SimulatorClient) -> Iterator[None]:
    yield
    dms.control("DELETE", "/faults")


def add_fault(dms: SimulatorClient, **fault: object) -> dict[str, object]:
    response = dms.control("POST", "/faults", json=fault)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_status_fault_with_retry_after_and_times(dms: SimulatorClient) -> None:
    provider = dms.provider()
    add_fault(dms, path="^/provider/orgs$", method="GET", status=429, retryAfter=7, times=2)
    for _ in range(2):
        response = dms.call("GET", "/orgs", provider)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json()["errorCodes"]["type"] == "TOO_MANY_REQUESTS"
    assert dms.call("GET", "/orgs", provider).status_code == 200
    assert dms.control("GET", "/faults").json() == []


def test_fault_method_filter(dms: SimulatorClient) -> None:
    provider = dms.provider()
    add_fault(dms, path="^/provider/instancetype", method="POST", status=503)
    assert dms.call("GET", "/instancetype", provider).status_code == 200
    plan = {"name": "never-created", "cpu": 1, "memory": 2}
    response = dms.call("POST", "/instancetype", provider, json=plan)
    assert response.status_code == 503
    assert response.json()["errorCodes"]["type"] == "INTERNAL_ERROR"


def test_delay_fault_passes_request_through(dms: SimulatorClient) -> None:
    fault = add_fault(dms, path="^/provider/templates$", kind="delay", delaySeconds=0.2)
    response = dms.call("GET", "/templates", dms.provider())
    assert response.status_code == 200
    faults = dms.control("GET", "/faults").json()
    assert [(f["id"], f["hits"]) for f in faults] == [(fault["id"], 1)]


def test_hang_fault_times_out_client(dms: SimulatorClient) -> None:
    add_fault(dms, path="^/provider/templates$", kind="hang", times=1)
    with pytest.raises(httpx.ReadTimeout):
        dms.call("GET", "/templates", dms.provider(), timeout=0.5)
    assert dms.call("GET", "/templates", dms.provider()).status_code == 200


def test_drop_fault_breaks_connection(dms: SimulatorClient) -> None:
    add_fault(dms, path="^/provider/mastertasks/", kind="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        dms.call("GET", "/mastertasks/anything", dms.provider())
    assert dms.call("GET", "/mastertasks/anything", dms.provider()).status_code == 404


def test_fault_list_remove_and_clear(dms: SimulatorClient) -> None:
    first = add_fault(dms, path="^/provider/a", status=500)
    add_fault(dms, path="^/provider/b", status=500)
    assert len(dms.control("GET", "/faults").json()) == 2
    assert dms.control("DELETE", f"/faults/{first['id']}").status_code == 200
    assert [f["path"] for f in dms.control("GET", "/faults").json()] == ["^/provider/b"]
    dms.control("DELETE", "/faults")
    assert dms.control("GET", "/faults").json() == []
    invalid = dms.control("POST", "/faults", json={"path": "(", "status": 500})
    assert invalid.status_code == 400
    assert invalid.json()["message"].startswith("path:")


def test_expire_and_revoke_tokens(dms: SimulatorClient) -> None:
    first = dms.tenant()
    second = dms.tenant()
    expired = dms.control("POST", "/tokens/expire", json={"email": first.admin.email})
    assert expired.status_code == 200
    response = dms.call("GET", "/databases", first.admin)
    assert response.status_code == 401
    assert response.json()["message"] == "token expired"
    assert dms.call("GET", "/databases", second.admin).status_code == 200
    relogged = dms.login(first.admin.email, USER_PASSWORD)
    assert dms.call("GET", "/databases", relogged).status_code == 200

    dms.control("POST", "/tokens/revoke", json={})
    response = dms.call("GET", "/databases", second.admin)
    assert response.status_code == 401
    assert response.json()["message"] == "token revoked"
    assert dms.call("GET", "/databases", relogged).status_code == 401
    dms.forget_provider()


def test_change_database_out_of_band(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    _, database = dms.create_db(tenant)
    changes = {
        "status": "ERROR",
        "hwConfig": {"cpuCores": 6},
        "dbOptions": [{"key": "work_mem", "value": "8MB"}],
    }
    response = dms.control("PATCH", f"/databases/{database['id']}", json=changes)
    assert response.status_code == 200, response.text
    seen = dms.call("GET", f"/databases/{database['id']}", tenant.admin).json()
    assert seen["status"] == "ERROR"
    assert seen["hwConfig"]["cpuCores"] == 6
    assert seen["hwConfig"]["memoryGB"] == 4
    assert seen["dbOptions"] == [{"key": "work_mem", "value": "8MB"}]
    fixed = dms.control("PATCH", f"/databases/{database['id']}", json={"tenantId": "x"})
    assert fixed.status_code == 400
    unknown = dms.control("PATCH", f"/databases/{database['id']}", json={"noSuchField": 1})
    assert unknown.status_code == 400


def test_add_environment_and_use_it(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    response = dms.control(
        "POST",
        f"/orgs/{tenant.org['id']}/environments",
        json={"name": "env-b", "datastores": ["fastStore", "slowStore"]},
    )
    assert response.status_code == 200
    environment = response.json()
    environments = dms.environments(tenant.admin, tenant.org["id"])
    assert [env["name"] for env in environments] == ["env-1", "env-b"]
    body = dms.db_body(tenant, environmentId=environment["id"], dataStoreName="slowStore")
    task, database = dms.create_db(tenant, body=body)
    assert task["status"] == "SUCCESS"
    assert database["environment"]["environmentId"] == environment["id"]
    assert database["dataStoreName"] == "slowStore"


def test_request_log(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    dms.control("DELETE", "/requests")
    dms.create_db(tenant)
    dms.call("GET", "/databases/not-there", tenant.admin)
    entries = dms.control("GET", "/requests").json()
    created = next(
        e for e in entries if e["method"] == "POST" and e["path"] == "/provider/databases"
    )
    assert created["status"] == 200
    assert created["orgId"] == tenant.org["id"]
    assert created["userEmail"] == tenant.admin.email
    assert created["route"] == "/provider/databases"
    missing = next(e for e in entries if e["path"] == "/provider/databases/not-there")
    assert missing["status"] == 404
    assert missing["route"] == "/provider/databases/{database_id}"
    text = json.dumps(entries)
    assert DB_PASSWORD not in text
    assert tenant.admin.token not in text
    dms.control("DELETE", "/requests")
    assert dms.control("GET", "/requests").json() == []


def test_control_api_off_by_default(make_simulator, client_for) -> None:  # type: ignore[no-untyped-def]
    process = make_simulator(name="no-control")
    # make_simulator passes --enable-control-api; start one without it.
    process.stop()
    process.args = [arg for arg in process.args if arg != "--enable-control-api"]
    process.start()
    client = client_for(process.base_url)
    assert client.control("GET", "/health").status_code == 404
    assert client.call("GET", "/templates", client.provider()).status_code == 200
