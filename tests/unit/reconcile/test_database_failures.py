"""Failures in DMS: a failed create, a failed database, a failed update task. The plan
reports them in Ready and Synced, names the fix, and starts no DMS task."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dms_operator.models.dms import Task
from dms_operator.reconcile.database import database_status
from dms_operator.reconcile.database_apply import ApplyResult
from dms_operator.reconcile.database_failures import FAILED_STATUSES
from dms_operator.reconcile.database_intent import database_intent
from dms_operator.reconcile.database_plan import plan_database
from dms_operator.reconcile.database_types import DatabasePlan, Scale, UpdateBackup
from dms_operator.reconcile.status import transition_events
from tests.unit.reconcile.factories import (
    DB_ID,
    database,
    intent,
    observed,
    settled,
    task,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DMS_MESSAGE = "no free datastore capacity"


def failed_task(task_type: str = "CREATE_DB", message: str = DMS_MESSAGE) -> Task:
    return task("FAILED", task_type, taskErrorInfo={"errorMessage": message})


def first_failure() -> tuple[DatabasePlan, dict[str, object]]:
    """The reconcile that finds the CREATE_DB task failed and the database FATAL."""
    current = intent(create_requested=True)
    seen = observed(database=database(status="FATAL"), task=failed_task())
    plan = plan_database(current, seen)
    return plan, database_status({}, current, seen, plan, ApplyResult(), NOW)


def conditions(status: dict[str, object]) -> dict[str, dict[str, object]]:
    items = status["conditions"]
    assert isinstance(items, list)
    return {item["type"]: item for item in items}


def test_failed_create_reports_task_failed() -> None:
    plan, _ = first_failure()

    assert plan.ready.reason == "TaskFailed"
    assert plan.ready.status == "False"
    assert DMS_MESSAGE in plan.ready.message
    assert "task-1" in plan.ready.message
    assert "FATAL" in plan.ready.message
    assert "spec.deletionPolicy to Delete" in plan.ready.message
    assert "create the DMSDatabase again" in plan.ready.message
    assert plan.failed is True
    assert plan.database_id == DB_ID


def test_failed_create_starts_no_task() -> None:
    plan, _ = first_failure()

    assert plan.dms_writes == ()
    assert plan.wait is False


def test_failed_create_status_not_synced() -> None:
    plan, status = first_failure()

    found = conditions(status)
    assert found["Ready"]["reason"] == "TaskFailed"
    assert found["Synced"]["status"] == "False"
    assert found["Synced"]["reason"] == "TaskFailed"
    assert found["Synced"]["message"] == plan.ready.message
    assert status["dmsStatus"] == "FATAL"
    assert status["id"] == DB_ID
    assert status["task"] is None


def test_failed_create_posts_one_event() -> None:
    plan, status = first_failure()

    events = {(event.reason, event.message) for event in plan.events}
    events |= {(event.reason, event.message) for event in transition_events({}, status)}
    assert events == {("TaskFailed", plan.ready.message)}


def test_failed_create_message_stable_on_retry() -> None:
    plan, status = first_failure()
    body = {
        "metadata": {"name": "orders", "namespace": "default", "uid": "uid-1", "generation": 1},
        "spec": {
            "credentialsSecretRef": {"name": "dms-login"},
            "engine": "Postgres",
            "version": "12",
        },
        "status": status,
    }
    # status.task is gone, so the next reconcile no longer reads the failed task.
    later = plan_database(database_intent(body), observed(database=database(status="FATAL")))

    assert later.ready == plan.ready
    assert later.failed is True
    assert later.dms_writes == ()
    assert later.events == ()


def test_failed_database_without_task() -> None:
    plan = plan_database(settled({"cpu": 8}), observed(database=database(status="FATAL")))

    assert plan.ready.reason == "InstanceFailed"
    assert "FATAL" in plan.ready.message
    assert "spec.deletionPolicy to Delete" in plan.ready.message
    assert plan.failed is True
    assert plan.dms_writes == ()


@pytest.mark.parametrize("status", sorted(FAILED_STATUSES))
def test_failed_statuses_start_nothing(status: str) -> None:
    plan = plan_database(settled({"cpu": 8}), observed(database=database(status=status)))

    assert plan.ready.reason == "InstanceFailed"
    assert status in plan.ready.message
    assert plan.failed is True
    assert plan.dms_writes == ()
    assert plan.wait is False


def test_new_failed_status_drops_old_message() -> None:
    earlier = settled(
        ready_reason="TaskFailed",
        ready_message="DMS task CREATE_DB task-1 failed",
        recorded_dms_status="FATAL",
    )

    plan = plan_database(earlier, observed(database=database(status="ERROR")))

    assert plan.ready.reason == "InstanceFailed"
    assert "ERROR" in plan.ready.message


def test_failed_update_leaves_database_failed() -> None:
    seen = observed(database=database(status="ERROR"), task=failed_task("SCALE_DB_CONFIG"))

    plan = plan_database(settled({"cpu": 8}), seen)

    assert plan.ready.reason == "TaskFailed"
    assert "SCALE_DB_CONFIG" in plan.ready.message
    assert DMS_MESSAGE in plan.ready.message
    assert "deletionPolicy" not in plan.ready.message
    assert plan.dms_writes == ()


def test_long_dms_message_keeps_fix() -> None:
    seen = observed(database=database(status="FATAL"), task=failed_task(message="x" * 2000))

    plan = plan_database(intent(create_requested=True), seen)

    assert len(plan.ready.message) < 1024
    assert plan.ready.message.endswith("with corrected values")


def test_recovered_database_is_ready_again() -> None:
    earlier = settled(
        ready_reason="TaskFailed", ready_message="DMS task failed", recorded_dms_status="FATAL"
    )

    plan = plan_database(earlier, observed())

    assert plan.ready.reason == "Available"
    assert plan.failed is False


# A failed update on a database that DMS still serves


def test_failed_update_not_started_again() -> None:
    seen = observed(task=failed_task("SCALE_DB_CONFIG"))

    plan = plan_database(settled({"cpu": 8}), seen)

    assert not any(isinstance(action, Scale) for action in plan.actions)
    assert plan.ready.reason == "TaskFailed"
    assert DMS_MESSAGE in plan.ready.message
    assert "next drift check" in plan.ready.message
    assert plan.failed is True
    assert len(plan.pending) == 1
    assert plan.pending[0].startswith("scale")


def test_failed_update_keeps_settings() -> None:
    seen = observed(task=failed_task("SCALE_DB_CONFIG"))
    spec_fields = {"cpu": 8, "backup": {"localRetentionDays": 5}}

    plan = plan_database(settled(spec_fields), seen)

    assert [type(action) for action in plan.dms_writes] == [UpdateBackup]


def test_failed_update_retried_without_task() -> None:
    earlier = settled(
        {"cpu": 8},
        ready_reason="TaskFailed",
        ready_message="DMS task SCALE_DB_CONFIG task-1 failed",
        recorded_dms_status="ONLINE",
    )

    plan = plan_database(earlier, observed())

    assert [type(action) for action in plan.dms_writes] == [Scale]
    assert plan.failed is False


def test_failed_update_no_longer_wanted() -> None:
    plan = plan_database(settled(), observed(task=failed_task("SCALE_DB_CONFIG")))

    assert plan.ready.reason == "Available"
    assert plan.failed is False
    assert [event.reason for event in plan.events] == ["TaskFailed"]
