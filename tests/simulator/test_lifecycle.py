"""Database lifecycles through tasks: immediate tasks and timed ones."""

from __future__ import annotations

from typing import Any

import pytest

from dms_testenv.simulator import MYSQL_8_TEMPLATE, SimulatorClient


def task_of(dms: SimulatorClient, tenant: Any, response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dms.wait_task(tenant.admin, response.json()["task_id"])


def detail(dms: SimulatorClient, tenant: Any, database_id: str) -> dict[str, Any]:
    response = dms.call("GET", f"/databases/{database_id}", tenant.admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_task_names_database(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    body = dms.db_body(tenant)
    response = dms.call("POST", "/databases", tenant.admin, json=body)
    assert response.status_code == 200
    task = dms.task(tenant.admin, response.json()["task_id"])
    # With --task-seconds 0 the task has ended before the response.
    assert task["status"] == "SUCCESS"
    assert task["percent"] == 100
    assert task["taskType"] == "CREATE_DB"
    assert task["userName"] == tenant.admin.email
    assert task["targetDetails"]["name"] == body["instanceName"]
    assert [entry["state"] for entry in task["stateHistory"]] == ["IN_PROGRESS", "SUCCESS"]
    database = detail(dms, tenant, task["dbDetails"]["id"])
    assert database["status"] == "ONLINE"
    assert database["instanceName"] == body["instanceName"]
    assert database["dbType"] == "POSTGRES"
    assert database["version"] == "12.7.0"
    assert database["hwConfig"]["cpuCores"] == 2
    assert database["hwConfig"]["memoryGB"] == 4
    assert database["hwConfig"]["hdDiskSizeGB"] == 60
    assert database["dbInstanceConfig"]["adminUser"] == body["dbConfig"]["adminUser"]
    assert "adminPassword" not in database["dbInstanceConfig"]
    assert "adminPassword" not in str(database)


def test_day_two_operations(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    _, database = dms.create_db(tenant, template=MYSQL_8_TEMPLATE)
    path = f"/databases/{database['id']}"
    admin = tenant.admin

    scaled = task_of(
        dms, tenant, dms.call("PUT", f"{path}/scale-db-config", admin, json={"cpu": 4, "memory": 8})
    )
    assert scaled["taskType"] == "SCALE_DB_CONFIG"
    hw = detail(dms, tenant, database["id"])["hwConfig"]
    assert (hw["cpuCores"], hw["memoryGB"]) == (4, 8)

    grown = task_of(
        dms, tenant, dms.call("PUT", f"{path}/extend-disk", admin, json={"hdDiskSizeGB": 80})
    )
    assert grown["taskType"] == "EXTEND_DB_DISK"
    assert detail(dms, tenant, database["id"])["hwConfig"]["hdDiskSizeGB"] == 80
    shrink = dms.call("PUT", f"{path}/extend-disk", admin, json={"hdDiskSizeGB": 70})
    assert shrink.status_code == 400
    assert shrink.json()["message"].startswith("hdDiskSizeGB:")

    options = [{"key": "max_connections", "value": "300"}]
    changed = task_of(
        dms, tenant, dms.call("PUT", f"{path}/db-options", admin, json={"dbOptions": options})
    )
    assert changed["taskType"] == "CHANGE_DB_OPTIONS"
    assert detail(dms, tenant, database["id"])["dbOptions"] == options

    ssl = task_of(
        dms, tenant, dms.call("PUT", f"{path}/client-ssl", admin, json={"requireClientSsl": True})
    )
    assert ssl["taskType"] == "DB_CLIENT_SSL_ENABLE"
    assert detail(dms, tenant, database["id"])["requireClientSsl"] is True

    backup_config = {"numLocalBackupDays": 5, "automatedBackupStartTime": "03:30"}
    response = dms.call("PUT", f"{path}/backup-config", admin, json=backup_config)
    assert response.status_code == 200
    assert response.json()["dbBackupConfig"]["numLocalBackupDays"] == 5
    assert response.json()["dbBackupConfig"]["automatedBackupStartTime"] == "03:30"
    window = {"maintenanceWindowStartDay": "MONDAY", "maintenanceWindowDuration": "3"}
    response = dms.call("PUT", f"{path}/maintenance-config", admin, json=window)
    assert response.status_code == 200
    assert response.json()["managedDbMaintenanceConfigDTO"]["maintenanceWindowStartDay"] == "MONDAY"
    assert response.json()["managedDbMaintenanceConfigDTO"]["maintenanceWindowDuration"] == 3

    backup_task = task_of(
        dms,
        tenant,
        dms.call(
            "POST", f"{path}/backup", admin, json={"backupName": "nightly", "automated": False}
        ),
    )
    assert backup_task["taskType"] == "BACKUP_DB"
    backups = dms.call("GET", "/backups", admin, params={"db": database["id"]}).json()
    assert [backup["backupName"] for backup in backups["content"]] == ["nightly"]
    backup_id = backups["content"][0]["backupId"]
    assert dms.call("GET", f"/backups/{backup_id}", admin).json()["dbId"] == database["id"]


def test_power_cycle_and_invalid_state(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    _, database = dms.create_db(tenant)
    path = f"/databases/{database['id']}"
    on_while_online = dms.call("PUT", f"{path}/power-on", tenant.admin, json={})
    assert on_while_online.status_code == 400
    assert on_while_online.json()["errorCodes"]["type"] == "INVALID_STATE"
    task_of(dms, tenant, dms.call("PUT", f"{path}/power-off", tenant.admin, json={}))
    assert detail(dms, tenant, database["id"])["status"] == "POWEREDOFF"
    scale_while_off = dms.call("PUT", f"{path}/scale-db-config", tenant.admin, json={"cpu": 4})
    assert scale_while_off.status_code == 400
    assert scale_while_off.json()["errorCodes"]["type"] == "INVALID_STATE"
    task_of(dms, tenant, dms.call("PUT", f"{path}/power-on", tenant.admin))
    assert detail(dms, tenant, database["id"])["status"] == "ONLINE"


def test_delete_then_not_found(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    _, database = dms.create_db(tenant)
    task = task_of(dms, tenant, dms.call("DELETE", f"/databases/{database['id']}", tenant.admin))
    assert task["taskType"] == "DELETE_DB"
    assert task["status"] == "SUCCESS"
    gone = dms.call("GET", f"/databases/{database['id']}", tenant.admin)
    assert gone.status_code == 404
    assert gone.json()["errorCodes"]["type"] == "NOT_FOUND"


def test_other_org_database_not_found(dms: SimulatorClient) -> None:
    owner = dms.tenant()
    stranger = dms.tenant()
    _, database = dms.create_db(owner)
    assert dms.call("GET", f"/databases/{database['id']}", stranger.admin).status_code == 404
    assert dms.call("DELETE", f"/databases/{database['id']}", stranger.admin).status_code == 404


def test_failed_create_leaves_fatal(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    rule = {"taskType": "CREATE_DB", "message": "injected: no capacity"}
    assert dms.control("POST", "/tasks/fail-next", json=rule).status_code == 200
    task, database = dms.create_db(tenant)
    assert task["status"] == "FAILED"
    assert task["taskErrorInfo"]["errorMessage"] == "injected: no capacity"
    assert task["stateHistory"][-1]["errorEvent"] is True
    assert database["status"] == "FATAL"
    deleted = task_of(dms, tenant, dms.call("DELETE", f"/databases/{database['id']}", tenant.admin))
    assert deleted["status"] == "SUCCESS"


def test_failed_scale_keeps_size(dms: SimulatorClient) -> None:
    tenant = dms.tenant()
    _, database = dms.create_db(tenant)
    rule = {"taskType": "SCALE_DB_CONFIG", "message": "injected", "status": "COMMUNICATION_LOST"}
    dms.control("POST", "/tasks/fail-next", json=rule)
    task = task_of(
        dms,
        tenant,
        dms.call(
            "PUT", f"/databases/{database['id']}/scale-db-config", tenant.admin, json={"cpu": 8}
        ),
    )
    assert task["status"] == "COMMUNICATION_LOST"
    after = detail(dms, tenant, database["id"])
    assert after["status"] == "ONLINE"
    assert after["hwConfig"]["cpuCores"] == 2


def test_timed_create_reports_progress(timed_dms: SimulatorClient) -> None:
    tenant = timed_dms.tenant()
    response = timed_dms.call("POST", "/databases", tenant.admin, json=timed_dms.db_body(tenant))
    task_id = response.json()["task_id"]
    first = timed_dms.task(tenant.admin, task_id)
    assert first["status"] == "IN_PROGRESS"
    assert first["percent"] < 100
    database_id = first["dbDetails"]["id"]
    assert detail(timed_dms, tenant, database_id)["status"] == "INIT"
    percents: list[int] = []
    task = timed_dms.wait_task(tenant.admin, task_id, seen=lambda t: percents.append(t["percent"]))
    assert task["status"] == "SUCCESS"
    assert percents == sorted(percents)
    assert len(set(percents)) > 2
    assert detail(timed_dms, tenant, database_id)["status"] == "ONLINE"


def test_timed_modify_and_delete(timed_dms: SimulatorClient) -> None:
    tenant = timed_dms.tenant()
    _, database = timed_dms.create_db(tenant)
    path = f"/databases/{database['id']}"
    response = timed_dms.call("PUT", f"{path}/scale-db-config", tenant.admin, json={"memory": 8})
    assert detail(timed_dms, tenant, database["id"])["status"] == "MODIFYING"
    busy = timed_dms.call("PUT", f"{path}/extend-disk", tenant.admin, json={"hdDiskSizeGB": 100})
    assert busy.status_code == 400
    assert busy.json()["errorCodes"]["type"] == "INVALID_STATE"
    busy_delete = timed_dms.call("DELETE", path, tenant.admin)
    assert busy_delete.json()["errorCodes"]["type"] == "INVALID_STATE"
    timed_dms.wait_task(tenant.admin, response.json()["task_id"])
    deleting = timed_dms.call("DELETE", path, tenant.admin)
    assert detail(timed_dms, tenant, database["id"])["status"] == "DELETING"
    timed_dms.wait_task(tenant.admin, deleting.json()["task_id"])
    assert timed_dms.call("GET", path, tenant.admin).status_code == 404


def test_fail_running_task(timed_dms: SimulatorClient) -> None:
    tenant = timed_dms.tenant()
    _, database = timed_dms.create_db(tenant)
    response = timed_dms.call(
        "PUT", f"/databases/{database['id']}/power-off", tenant.admin, json={}
    )
    task_id = response.json()["task_id"]
    failed = timed_dms.control("POST", f"/tasks/{task_id}/fail", json={"message": "host lost"})
    assert failed.status_code == 200
    task = timed_dms.wait_task(tenant.admin, task_id)
    assert task["status"] == "FAILED"
    assert task["taskErrorInfo"]["errorMessage"] == "host lost"
    assert detail(timed_dms, tenant, database["id"])["status"] == "ONLINE"
    again = timed_dms.control("POST", f"/tasks/{task_id}/fail", json={"message": "x"})
    assert again.status_code == 400


@pytest.mark.parametrize("task_type", ["NOT_A_TASK"])
def test_fail_next_rejects_unknown_type(dms: SimulatorClient, task_type: str) -> None:
    response = dms.control("POST", "/tasks/fail-next", json={"taskType": task_type, "message": "x"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("taskType:")
