"""Deleting a DMSDatabase: what happens to its DMS database and its Secrets.

`deletionPolicy: Retain` (the default) keeps the DMS database. The connection Secret is
kept too: the operator removes its owner reference, so the garbage collector leaves it,
and the retained database stays reachable with it.

`deletionPolicy: Delete` deletes the DMS database and waits for the DELETE_DB task. A
database that DMS reports as not found counts as deleted. The handler never waits inside: it
records the task in `status.task` and comes back (`kopf.TemporaryError`), so a restart
resumes the wait. A database that this resource never asked DMS to create (no recorded
id and no create-request annotation) is not looked up by name, because a database of
that name would belong to someone else.

Either way, the credentials Secret is released last (see `credentials`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from dms_operator.clients.dms import DMSError, DMSNotFoundError, DMSSession
from dms_operator.clients.kube import KubeError
from dms_operator.models.common import DATABASE_PLURAL, ConditionStatus, DeletionPolicy
from dms_operator.models.conditions import Reason
from dms_operator.models.database import DMSDatabaseSpec, TaskStatus
from dms_operator.models.dms import Database, Task
from dms_operator.reconcile.connection_secret import Owner, release_connection_secret
from dms_operator.reconcile.context import EventSink, OperatorContext
from dms_operator.reconcile.credentials import read_credentials, release_credentials
from dms_operator.reconcile.database_intent import database_intent
from dms_operator.reconcile.database_observe import find_database, organization_from_spec
from dms_operator.reconcile.database_plan import BUSY_STATUSES
from dms_operator.reconcile.database_types import DatabaseIntent
from dms_operator.reconcile.outcomes import (
    Problem,
    Requeue,
    call_dms,
    name_credentials_secret,
    problem_from_dms_error,
    raise_for_problem,
    raise_for_requeue,
    transient,
)
from dms_operator.reconcile.status import (
    NORMAL,
    Condition,
    post_events,
    report_problem,
    synced_condition,
    transition_events,
    with_conditions,
    write_status,
)

_log = logging.getLogger(__name__)


class DeletionStep(enum.Enum):
    """The next step of a deletion."""

    RETAIN = "retain"
    WAIT = "wait"
    DELETE = "delete"
    DONE = "done"


def plan_deletion(
    policy: DeletionPolicy, task: Task | None, database: Database | None
) -> tuple[DeletionStep, str]:
    """Return the next deletion step and a one-line message. Pure.

    Raises a `Problem` when DMS reports that its DELETE_DB task failed.
    """
    if policy is DeletionPolicy.RETAIN:
        return DeletionStep.RETAIN, "the DMS database is retained (deletionPolicy Retain)"
    if task is not None and task.is_running:
        return DeletionStep.WAIT, f"waiting for DMS task {task.task_type} {task.id}"
    if task is not None and task.failed and task.task_type == "DELETE_DB":
        raise transient(
            Reason.TASK_FAILED, f"DMS task DELETE_DB {task.id} failed: {task.error_message}"
        )
    if database is None:
        return DeletionStep.DONE, "the DMS database is deleted"
    if database.status in BUSY_STATUSES:
        return DeletionStep.WAIT, f"DMS instance {database.instance_name} is {database.status}"
    return DeletionStep.DELETE, f"deleting DMS instance {database.instance_name} ({database.id})"


def _policy(body: Mapping[str, Any]) -> tuple[DeletionPolicy, DMSDatabaseSpec | None]:
    try:
        spec = DMSDatabaseSpec.model_validate(body.get("spec") or {})
    except ValidationError:
        # Deleting must work for a spec the operator cannot parse; only an explicit
        # Delete deletes in DMS.
        raw = (body.get("spec") or {}).get("deletionPolicy")
        return (DeletionPolicy.DELETE if raw == "Delete" else DeletionPolicy.RETAIN), None
    return spec.effective_deletion_policy(), spec


async def _observe(
    context: OperatorContext, session: DMSSession, intent: DatabaseIntent
) -> tuple[Task | None, Database | None, str | None]:
    org_id = intent.recorded_org_id
    if org_id is None:
        if intent.recorded_id is None and not intent.create_requested:
            return None, None, None  # never asked DMS for anything
        org_id = await organization_from_spec(context.kube, session, intent)
    task: Task | None = None
    if intent.recorded_task is not None:
        try:
            task = await session.get_task(org_id, intent.recorded_task.id)
        except DMSNotFoundError:
            task = None
        except DMSError as error:
            raise problem_from_dms_error(error, "reading the recorded DMS task") from error
    if intent.recorded_id is None and not intent.create_requested:
        return task, None, org_id
    database, _ = await find_database(session, org_id, intent, task)
    if database is not None and intent.recorded_id not in (None, database.id):
        # The recorded database is gone; one of the same name is not this resource's.
        database = None
    return task, database, org_id


async def _write_deleting(
    context: OperatorContext, body: Mapping[str, Any], message: str, task: TaskStatus | None
) -> Mapping[str, Any]:
    metadata = body.get("metadata") or {}
    old = dict(body.get("status") or {})
    new = dict(old)
    if task is not None:
        new["task"] = task.to_patch()
    ready = Condition(ConditionStatus.FALSE, Reason.DELETING, message)
    new = with_conditions(
        new, ready, synced_condition(), int(metadata.get("generation") or 0), datetime.now(UTC)
    )
    await write_status(
        context.kube, str(metadata["namespace"]), DATABASE_PLURAL, str(metadata["name"]), old, new
    )
    return new


async def delete_database_resource(
    context: OperatorContext, body: Mapping[str, Any], *, retry: int, events: EventSink
) -> None:
    """Carry out the deletion policy; return when the finalizer may go."""
    metadata = body.get("metadata") or {}
    namespace = str(metadata.get("namespace"))
    name = str(metadata.get("name"))
    uid = str(metadata.get("uid"))
    status: Mapping[str, Any] = body.get("status") or {}
    spec_raw: Mapping[str, Any] = body.get("spec") or {}
    credentials_name = (spec_raw.get("credentialsSecretRef") or {}).get("name")
    policy, spec = _policy(body)
    try:
        if policy is DeletionPolicy.RETAIN:
            await _retain(context, body, spec, events)
        else:
            await _delete(context, body, retry=retry, events=events)
        if credentials_name:
            await release_credentials(
                context.kube, namespace, str(credentials_name), ignore_uid=uid
            )
    except KubeError as error:
        problem = transient(Reason.RECONCILE_ERROR, str(error))
        await report_problem(context.kube, body, problem, events, DATABASE_PLURAL)
        raise_for_problem(problem, context.settings, retry)
    except Problem as caught:
        problem = name_credentials_secret(caught, body)
        await report_problem(context.kube, body, problem, events, DATABASE_PLURAL)
        raise_for_problem(problem, context.settings, retry)
    _log.info(
        "[%s/%s] deletion finished (deletionPolicy %s, DMS id %s)",
        namespace,
        name,
        policy.value,
        status.get("id"),
    )


async def _retain(
    context: OperatorContext,
    body: Mapping[str, Any],
    spec: DMSDatabaseSpec | None,
    events: EventSink,
) -> None:
    metadata = body.get("metadata") or {}
    namespace = str(metadata.get("namespace"))
    name = str(metadata.get("name"))
    status: Mapping[str, Any] = body.get("status") or {}
    secret_name = f"{name}-connection"
    if spec is not None and spec.write_connection_secret_to_ref is not None:
        secret_name = spec.write_connection_secret_to_ref.name
    kept = await release_connection_secret(
        context.kube, namespace, secret_name, Owner(name, str(metadata.get("uid")))
    )
    database = f"DMS database {status.get('id')}" if status.get("id") else "the DMS database"
    message = f"{database} stays in DMS (deletionPolicy Retain)"
    if kept:
        message += f"; the connection Secret {secret_name} is kept"
    events(NORMAL, Reason.RETAINED, message)


async def _delete(
    context: OperatorContext, body: Mapping[str, Any], *, retry: int, events: EventSink
) -> None:
    intent = database_intent(body)
    if intent.paused:
        raise transient(
            Reason.PAUSED,
            "deleting the DMS database waits while reconciling is paused by the annotation "
            "dms.tanzu.community/paused",
        )
    credentials, _ = await read_credentials(
        context.kube, intent.namespace, intent.spec.credentials_secret_ref.name
    )
    session = context.pool.session_for(credentials)
    task, database, org_id = await _observe(context, session, intent)
    step, message = plan_deletion(DeletionPolicy.DELETE, task, database)
    if step is DeletionStep.DONE:
        events(NORMAL, "Deleted", f"DMS instance {intent.instance_name} is deleted")
        return
    if step is DeletionStep.DELETE:
        assert database is not None
        assert org_id is not None
        reference = await call_dms(
            f"deleting DMS instance {database.instance_name}",
            session.delete_database(org_id, database.id),
        )
        started = TaskStatus(id=reference.task_id, type="DELETE_DB", percent=0)
        await context.kube.patch_status(
            intent.namespace,
            DATABASE_PLURAL,
            intent.name,
            {"task": started.to_patch(), "id": database.id, "organizationId": org_id},
        )
        events(
            NORMAL,
            "DeleteRequested",
            f"DMS task DELETE_DB {started.id} started for instance {database.instance_name}",
        )
        await _write_deleting(context, body, message, started)
    else:
        new = await _write_deleting(context, body, message, None)
        post_events(events, transition_events(body.get("status") or {}, new))
    raise_for_requeue(
        Requeue(context.settings.task_poll_delay_seconds, f"{message}; checking again")
    )
