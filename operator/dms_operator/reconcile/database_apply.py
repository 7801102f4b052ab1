"""The apply step of a DMSDatabase reconcile: run the plan's actions in order.

Kubernetes writes (the connection Secret, the create-request annotation) and the
synchronous DMS settings run as they come. The first action that starts a DMS task
is the last one run: its task id goes into `status.task` at once, before anything
else can fail, and the reconcile comes back when the task has ended. So the operator
never runs two DMS tasks on a database at the same time, and a restart finds the task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dms_operator.clients.dms import DMSSession
from dms_operator.clients.kube import KubeClient
from dms_operator.models.common import CREATE_REQUESTED_ANNOTATION, DATABASE_PLURAL
from dms_operator.models.conditions import format_time
from dms_operator.models.database import TaskStatus
from dms_operator.models.dms import TaskRef
from dms_operator.reconcile.connection_secret import write_connection_secret
from dms_operator.reconcile.database_types import (
    Action,
    ChangeDbOptions,
    CreateDatabase,
    DatabaseIntent,
    DatabasePlan,
    ExtendDisk,
    MarkCreateRequested,
    PowerOff,
    PowerOn,
    Scale,
    SetClientSsl,
    UpdateBackup,
    UpdateMaintenance,
    WriteConnectionSecret,
)
from dms_operator.reconcile.outcomes import call_dms
from dms_operator.reconcile.status import NORMAL, PlannedEvent

_log = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    """Outcome of the apply step."""

    started_task: TaskStatus | None = None
    secret_written: bool = False
    events: list[PlannedEvent] = field(default_factory=list)


async def _start_task(
    session: DMSSession, org_id: str, database_id: str | None, action: Action
) -> TaskRef:
    doing = f"requesting DMS to {action.describe()}"
    if isinstance(action, CreateDatabase):
        return await call_dms(doing, session.create_database(org_id, action.request))
    if database_id is None:
        raise ValueError(f"{action.describe()} needs a database id")
    if isinstance(action, PowerOn):
        return await call_dms(doing, session.power_on(org_id, database_id))
    if isinstance(action, PowerOff):
        return await call_dms(doing, session.power_off(org_id, database_id))
    if isinstance(action, Scale):
        return await call_dms(doing, session.scale(org_id, database_id, action.request))
    if isinstance(action, ExtendDisk):
        return await call_dms(doing, session.extend_disk(org_id, database_id, action.size_gb))
    if isinstance(action, ChangeDbOptions):
        options = dict(action.options)
        return await call_dms(doing, session.change_db_options(org_id, database_id, options))
    if isinstance(action, SetClientSsl):
        return await call_dms(doing, session.set_client_ssl(org_id, database_id, action.required))
    raise TypeError(f"unknown task action {type(action).__name__}")


async def apply_database_plan(
    kube: KubeClient,
    session: DMSSession,
    intent: DatabaseIntent,
    org_id: str,
    plan: DatabasePlan,
) -> ApplyResult:
    """Run the plan's actions until the first one that starts a DMS task (included)."""
    result = ApplyResult()
    for action in plan.actions:
        if isinstance(action, WriteConnectionSecret):
            written = await write_connection_secret(
                kube, intent.namespace, action.body, intent.owner
            )
            result.secret_written = result.secret_written or (written and action.complete)
            continue
        if isinstance(action, MarkCreateRequested):
            stamp = format_time(datetime.now(UTC))
            patch = {"metadata": {"annotations": {CREATE_REQUESTED_ANNOTATION: stamp}}}
            await kube.merge_patch_resource(intent.namespace, DATABASE_PLURAL, intent.name, patch)
            continue
        if isinstance(action, UpdateBackup):
            await call_dms(
                f"updating the backup settings of instance {intent.instance_name}",
                session.update_backup_config(org_id, _require_id(plan), action.config),
            )
            result.events.append(PlannedEvent(NORMAL, "Updated", f"DMS {action.describe()} done"))
            continue
        if isinstance(action, UpdateMaintenance):
            await call_dms(
                f"updating the maintenance window of instance {intent.instance_name}",
                session.update_maintenance_config(org_id, _require_id(plan), action.config),
            )
            result.events.append(PlannedEvent(NORMAL, "Updated", f"DMS {action.describe()} done"))
            continue
        reference = await _start_task(session, org_id, plan.database_id, action)
        task = TaskStatus(id=reference.task_id, type=action.task_type, percent=0)
        # Recorded before anything else can fail, so that a restart resumes this task.
        status: dict[str, object] = {"task": task.to_patch(), "organizationId": org_id}
        if plan.database_id is not None:
            status["id"] = plan.database_id
        await kube.patch_status(intent.namespace, DATABASE_PLURAL, intent.name, status)
        _log.info(
            "Started DMS task %s %s for instance %s", task.type, task.id, intent.instance_name
        )
        reason = "CreateRequested" if isinstance(action, CreateDatabase) else "UpdateRequested"
        result.events.append(
            PlannedEvent(
                NORMAL, reason, f"DMS task {task.type} {task.id} started: {action.describe()}"
            )
        )
        result.started_task = task
        break
    return result


def _require_id(plan: DatabasePlan) -> str:
    if plan.database_id is None:
        raise ValueError("a settings change needs a database id")
    return plan.database_id
