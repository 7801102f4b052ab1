"""The documented DMS payloads hold for the simulator's real responses too.

The client's unit tests parse the documented examples (in tests/unit/dms_client/data)
into the client's models. These tests hold the same examples against the simulator:
every field a documented response has, the simulator's response has as well, with a
value of the same JSON type, and the documented create request is accepted as it is.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from dms_operator.models.dms import Database, Environment, Task, UserSessionInfo
from dms_testenv.simulator import DmsTenant, SimulatorClient, unique_name

pytestmark = pytest.mark.databases

POSTGRES_12 = "00000003-0000-0000-0000-000000001270"
EXAMPLES = Path(__file__).resolve().parents[1] / "unit" / "dms_client" / "data"


def _example(name: str) -> dict[str, Any]:
    example: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return example


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _missing_fields(documented: Any, served: Any, path: str = "") -> list[str]:
    """List where `served` lacks a field of `documented` or has another JSON type.

    A documented null only requires the field to exist, because the simulator may
    fill in what the example left empty.
    """
    problems: list[str] = []
    if isinstance(documented, dict):
        if not isinstance(served, dict):
            return [f"{path or '.'}: expected an object, got {_json_type(served)}"]
        for key, value in documented.items():
            if key not in served:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += _missing_fields(value, served[key], f"{path}.{key}")
    elif isinstance(documented, list):
        if not isinstance(served, list):
            return [f"{path}: expected an array, got {_json_type(served)}"]
        if documented and served:
            problems += _missing_fields(documented[0], served[0], f"{path}[0]")
    elif (
        documented is not None
        and served is not None
        and _json_type(documented) != _json_type(served)
    ):
        problems.append(f"{path}: documented {_json_type(documented)}, served {_json_type(served)}")
    return problems


@pytest.fixture(scope="module")
def tenant(dms: SimulatorClient) -> DmsTenant:
    return dms.tenant()


def test_session_info_matches_example(dms: SimulatorClient) -> None:
    response = dms.call(
        "POST",
        "/session",
        json={"email": dms.provider_email, "password": dms.provider_password},
    )
    assert response.status_code == 200
    assert response.headers["Authorization"].startswith("Bearer ")

    served = response.json()
    assert _missing_fields(_example("user_session_info.json"), served) == []
    assert UserSessionInfo.model_validate(served).org_memberships


def test_environment_matches_example(dms: SimulatorClient, tenant: DmsTenant) -> None:
    served = tenant.environment

    assert _missing_fields(_example("environment.json"), served) == []
    assert Environment.model_validate(served).default_datastore() is not None


def test_documented_create_request_accepted(dms: SimulatorClient, tenant: DmsTenant) -> None:
    body = _example("create_db.json")
    name = unique_name("contract")
    # The example's placeholders: ids of this simulator and a password to choose.
    body["environmentId"] = tenant.environment["id"]
    body["templateId"] = POSTGRES_12
    body["instanceName"] = name
    body["dbConfig"]["adminPassword"] = "Contract1!"
    # Unique names on the shared real server, so parallel runs never clash.
    suffix = uuid.uuid4().hex[:8]
    body["dbConfig"]["dbName"] = f"contract_{suffix}"
    body["dbConfig"]["adminUser"] = f"contract_{suffix}"
    response = dms.call("POST", "/databases", tenant.admin, json=body)
    assert response.status_code == 200, response.text

    task = dms.wait_task(tenant.admin, response.json()["task_id"])
    assert _missing_fields(_example("task.json"), task) == []
    assert Task.model_validate(task).succeeded

    database_id = task["dbDetails"]["id"]
    detail = dms.call("GET", f"/databases/{database_id}", tenant.admin).json()
    assert _missing_fields(_example("database_detail.json"), detail) == []
    assert Database.model_validate(detail).instance_name == name
    assert "adminPassword" not in json.dumps(detail)

    deleted = dms.call("DELETE", f"/databases/{database_id}", tenant.admin)
    assert deleted.status_code == 200
    dms.wait_task(tenant.admin, deleted.json()["task_id"])


def test_empty_page_matches_example(dms: SimulatorClient, tenant: DmsTenant) -> None:
    served = dms.call(
        "GET", "/databases", tenant.admin, params={"instanceName": "no-such-instance"}
    ).json()

    assert _missing_fields(_example("page_empty.json"), served) == []
    assert served["content"] == []
