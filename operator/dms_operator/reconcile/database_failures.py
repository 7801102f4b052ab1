"""Failures in DMS in a DMSDatabase plan: failed tasks and failed databases.

Pure functions that `database_plan` calls. Each returns the `Ready` condition. The plan
then marks itself `failed`, so that `Synced` repeats it, and starts no DMS task:

- a CREATE_DB task that failed without leaving a database: the next drift check or spec
  change requests the creation again;
- a database in a failed status (`FAILED_STATUSES`): no task until DMS reports another
  status. A failed create (DMS keeps the record as FATAL) needs the resource deleted with
  deletionPolicy Delete and created again, because the operator never deletes a database
  on its own;
- an update task that failed on an ONLINE or POWEREDOFF database: the next drift check
  or spec change tries the change again, instead of the next task poll.

DMS's error message is in the task only. `status.task` is cleared when the task ends,
so later reconciles keep the `Ready` message of the reconcile that saw the failure, as
long as DMS still reports the same status.
"""

from __future__ import annotations

from dms_operator.clients.dms.errors import shorten
from dms_operator.models.common import ConditionStatus
from dms_operator.models.conditions import Reason
from dms_operator.models.dms import Database, Task
from dms_operator.reconcile.database_types import DatabaseIntent
from dms_operator.reconcile.status import WARNING, Condition, PlannedEvent

# DMS statuses of a database whose create, or an update that DMS ran, failed. The
# operator starts no task on such a database. The drift check reads it again, so a
# database that is repaired in DMS becomes Ready again.
FATAL = "FATAL"
FAILED_STATUSES = frozenset(
    {
        FATAL,
        "ERROR",
        "CONTROL_PLANE_UPDATE_FAILED",
        "DB_ENGINE_UPDATE_FAILED",
        "OS_UPDATE_FAILED",
    }
)

CREATE_DB = "CREATE_DB"

_RECREATE_FIX = (
    "set spec.deletionPolicy to Delete and delete this DMSDatabase, so that the operator "
    "deletes the failed instance in DMS, then create the DMSDatabase again with corrected "
    "values"
)


def _error_text(task: Task) -> str:
    # DMS's message is cut, so that the fix after it always fits into the condition.
    return shorten(task.error_message or "DMS gave no error message")


def _no_task_until_repaired(status: str) -> str:
    return (
        f"The operator starts no DMS task on an instance in status {status}; once DMS reports "
        "it ONLINE or POWEREDOFF again (repaired in DMS), the next drift check continues"
    )


def failed_create_ready(intent: DatabaseIntent, task: Task) -> Condition:
    """Return `Ready` for a CREATE_DB task that failed and left no database behind."""
    return Condition(
        ConditionStatus.FALSE,
        Reason.TASK_FAILED,
        f"DMS task {CREATE_DB} {task.id} failed to create instance {intent.instance_name}: "
        f"{_error_text(task)}. The operator requests the creation again at the next drift "
        "check or spec change",
    )


def failed_status_ready(intent: DatabaseIntent, task: Task | None, database: Database) -> Condition:
    """Return `Ready` for a database in one of `FAILED_STATUSES`.

    `task` is the recorded task as DMS reports it now; a failed one explains the status.
    """
    status = database.status
    instance = database.instance_name
    if task is not None and task.failed and task.task_type == CREATE_DB:
        return Condition(
            ConditionStatus.FALSE,
            Reason.TASK_FAILED,
            f"DMS task {CREATE_DB} {task.id} failed and left instance {instance} in status "
            f"{status}: {_error_text(task)}. The operator starts no DMS task on it. To retry "
            f"the create, {_RECREATE_FIX}",
        )
    if task is not None and task.failed:
        return Condition(
            ConditionStatus.FALSE,
            Reason.TASK_FAILED,
            f"DMS task {task.task_type} {task.id} failed and left instance {instance} in "
            f"status {status}: {_error_text(task)}. {_no_task_until_repaired(status)}",
        )
    if (
        intent.ready_reason == Reason.TASK_FAILED
        and intent.recorded_dms_status == status
        and intent.ready_message
    ):
        # Written by the reconcile that saw the failed task; it carries DMS's message.
        return Condition(ConditionStatus.FALSE, Reason.TASK_FAILED, intent.ready_message)
    message = f"DMS reports instance {instance} as {status}. {_no_task_until_repaired(status)}"
    if status == FATAL:
        # DMS marks a database FATAL when its create task fails; deleting that one loses nothing.
        message += f". If its create failed, {_RECREATE_FIX}"
    return Condition(ConditionStatus.FALSE, Reason.INSTANCE_FAILED, message)


def failed_update_ready(intent: DatabaseIntent, task: Task) -> Condition:
    """Return `Ready` for an update task that failed on a database DMS still serves."""
    return Condition(
        ConditionStatus.FALSE,
        Reason.TASK_FAILED,
        f"DMS task {task.task_type} {task.id} failed on instance {intent.instance_name}: "
        f"{_error_text(task)}. The operator tries the change again at the next drift check "
        "or spec change",
    )


def task_failed_event(task: Task) -> PlannedEvent:
    """Return the Warning Event for a failed task that `Ready` does not report."""
    return PlannedEvent(
        WARNING,
        Reason.TASK_FAILED,
        f"DMS task {task.task_type} {task.id} failed: {_error_text(task)}",
    )
