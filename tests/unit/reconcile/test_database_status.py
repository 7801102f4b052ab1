"""The DMSDatabase status after a reconcile: id, task, endpoint, binding, conditions."""

from __future__ import annotations

from datetime import UTC, datetime

from dms_operator.models.database import TaskStatus
from dms_operator.reconcile.database import database_status
from dms_operator.reconcile.database_apply import ApplyResult
from dms_operator.reconcile.database_plan import plan_database
from tests.unit.reconcile.factories import DB_ID, ORG_ID, intent, missing, observed, settled, task

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def conditions(status: dict[str, object]) -> dict[str, tuple[str, str]]:
    items = status["conditions"]
    assert isinstance(items, list)
    return {item["type"]: (item["status"], item["reason"]) for item in items}


def test_ready_database_status() -> None:
    current = settled()
    seen = observed()
    status = database_status({}, current, seen, plan_database(current, seen), ApplyResult(), NOW)

    assert status["id"] == DB_ID
    assert status["organizationId"] == ORG_ID
    assert status["dmsStatus"] == "ONLINE"
    assert status["endpoint"] == {"host": "orders.db.example", "port": 5432}
    assert status["binding"] == {"name": "orders-connection"}
    assert status["task"] is None
    assert status["lastSyncTime"] == "2026-01-01T12:00:00Z"
    assert status["observedGeneration"] == 1
    assert conditions(status) == {
        "Ready": ("True", "Available"),
        "Synced": ("True", "ReconcileSuccess"),
    }


def test_started_task_recorded() -> None:
    current = intent()
    seen = missing()
    result = ApplyResult(started_task=TaskStatus(id="t-1", type="CREATE_DB", percent=0))

    status = database_status({}, current, seen, plan_database(current, seen), result, NOW)

    assert status["task"] == {"id": "t-1", "type": "CREATE_DB", "percent": 0}
    assert status["id"] is None
    assert status["binding"] is None
    assert conditions(status)["Ready"] == ("False", "Creating")


def test_running_task_progress() -> None:
    current = intent(
        create_requested=True, recorded_task=TaskStatus(id="task-1", type="CREATE_DB", percent=0)
    )
    seen = missing(task=task("IN_PROGRESS", percent=50), database=None)

    status = database_status({}, current, seen, plan_database(current, seen), ApplyResult(), NOW)

    assert status["task"] == {"id": "task-1", "type": "CREATE_DB", "percent": 50}


def test_paused_is_not_synced() -> None:
    current = settled(paused=True)
    seen = observed()

    status = database_status({}, current, seen, plan_database(current, seen), ApplyResult(), NOW)

    assert conditions(status)["Synced"] == ("False", "Paused")


def test_unsupported_change_is_not_synced() -> None:
    current = settled({"storageGB": 10})
    seen = observed()

    status = database_status({}, current, seen, plan_database(current, seen), ApplyResult(), NOW)

    assert conditions(status) == {
        "Ready": ("True", "Available"),
        "Synced": ("False", "UnsupportedChange"),
    }
