"""The deletion policies: Retain keeps, Delete deletes and waits, gone counts as done."""

from __future__ import annotations

import pytest

from dms_operator.models.common import DeletionPolicy
from dms_operator.reconcile.database_delete import DeletionStep, plan_deletion
from dms_operator.reconcile.outcomes import Problem
from tests.unit.reconcile.factories import database, task


def test_retain_keeps_database() -> None:
    step, _ = plan_deletion(DeletionPolicy.RETAIN, None, database())

    assert step is DeletionStep.RETAIN


def test_delete_online_database() -> None:
    step, message = plan_deletion(DeletionPolicy.DELETE, None, database())

    assert step is DeletionStep.DELETE
    assert "orders" in message


def test_gone_database_is_done() -> None:
    step, _ = plan_deletion(DeletionPolicy.DELETE, None, None)

    assert step is DeletionStep.DONE


def test_running_task_waits() -> None:
    step, message = plan_deletion(
        DeletionPolicy.DELETE, task("IN_PROGRESS", "CREATE_DB"), database(status="INIT")
    )

    assert step is DeletionStep.WAIT
    assert "CREATE_DB" in message


def test_finished_delete_task_and_gone_is_done() -> None:
    step, _ = plan_deletion(DeletionPolicy.DELETE, task("SUCCESS", "DELETE_DB"), None)

    assert step is DeletionStep.DONE


@pytest.mark.parametrize("status", ["DELETING", "MODIFYING", "INIT"])
def test_busy_database_waits(status: str) -> None:
    step, _ = plan_deletion(DeletionPolicy.DELETE, None, database(status=status))

    assert step is DeletionStep.WAIT


def test_failed_delete_task_is_reported() -> None:
    failed = task("FAILED", "DELETE_DB", taskErrorInfo={"errorMessage": "disk busy"})

    with pytest.raises(Problem) as raised:
        plan_deletion(DeletionPolicy.DELETE, failed, database())

    assert raised.value.reason == "TaskFailed"
    assert "disk busy" in raised.value.message


def test_powered_off_database_is_deleted() -> None:
    step, _ = plan_deletion(DeletionPolicy.DELETE, None, database(status="POWEREDOFF"))

    assert step is DeletionStep.DELETE
