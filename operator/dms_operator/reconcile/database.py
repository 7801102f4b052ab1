"""The DMSDatabase reconcile: observe, plan, apply, then report.

`reconcile_database` is what every change handler and the drift timer run. It ends in
one of three ways:

- returns: the database matches the spec (or is paused, powered off, waiting for a
  change DMS cannot make); nothing to retry;
- raises `kopf.TemporaryError(delay=task_poll_delay_seconds)`: a DMS task runs or DMS is
  busy with the database; kopf calls the handler again to look;
- raises `kopf.TemporaryError` with backoff or `kopf.PermanentError`, after reporting a
  `Problem` in the conditions (see `outcomes`).

The status is written only when it changes. `lastSyncTime` records a successful read of
DMS, refreshed on its own only every `status_sync_refresh_seconds`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dms_operator.clients.kube import KubeError
from dms_operator.models.common import DATABASE_PLURAL, ConditionStatus
from dms_operator.models.conditions import Reason, format_time
from dms_operator.reconcile.context import EventSink, OperatorContext
from dms_operator.reconcile.credentials import protect_credentials, read_credentials
from dms_operator.reconcile.database_apply import ApplyResult, apply_database_plan
from dms_operator.reconcile.database_intent import database_intent
from dms_operator.reconcile.database_observe import observe_database
from dms_operator.reconcile.database_plan import plan_database
from dms_operator.reconcile.database_types import (
    DatabaseIntent,
    DatabaseObservation,
    DatabasePlan,
)
from dms_operator.reconcile.outcomes import (
    Problem,
    Requeue,
    name_credentials_secret,
    raise_for_problem,
    raise_for_requeue,
    transient,
)
from dms_operator.reconcile.status import (
    Condition,
    PlannedEvent,
    keep_recent_sync_time,
    post_events,
    report_problem,
    synced_condition,
    transition_events,
    with_conditions,
    write_status,
)

_log = logging.getLogger(__name__)


def _synced(intent: DatabaseIntent, plan: DatabasePlan) -> Condition:
    if intent.paused:
        return Condition(
            ConditionStatus.FALSE,
            Reason.PAUSED,
            "reconciling is paused by the annotation dms.tanzu.community/paused; "
            "the operator makes no changes",
        )
    if plan.failed:
        return Condition(ConditionStatus.FALSE, plan.ready.reason, plan.ready.message)
    if plan.unsupported:
        return Condition(
            ConditionStatus.FALSE, Reason.UNSUPPORTED_CHANGE, "; ".join(plan.unsupported)
        )
    return synced_condition()


def database_status(
    old: Mapping[str, Any],
    intent: DatabaseIntent,
    observed: DatabaseObservation,
    plan: DatabasePlan,
    result: ApplyResult,
    now: datetime,
) -> dict[str, Any]:
    """Return the new status after a successful reconcile. Pure."""
    status = dict(old)
    database = observed.database
    status["id"] = plan.database_id
    status["organizationId"] = observed.org_id
    status["dmsStatus"] = database.status if database is not None else None

    task: dict[str, Any] | None = None
    if result.started_task is not None:
        task = result.started_task.to_patch()
    elif (
        observed.task is not None and observed.task.is_running and intent.recorded_task is not None
    ):
        task = {
            "id": intent.recorded_task.id,
            "type": observed.task.task_type or intent.recorded_task.type,
            "percent": observed.task.percent,
        }
    status["task"] = task

    endpoint = None
    if database is not None and database.connection_host and database.port:
        endpoint = {"host": database.connection_host, "port": database.port}
    status["endpoint"] = endpoint

    secret_current = observed.connection_secret_complete and (
        not observed.connection_secret_stale or result.secret_written
    )
    if secret_current:
        status["binding"] = {"name": intent.connection_secret_name}
    elif database is None:
        status["binding"] = None
    status["lastSyncTime"] = format_time(now)
    return with_conditions(status, plan.ready, _synced(intent, plan), intent.generation, now)


def _unique(events: list[PlannedEvent]) -> list[PlannedEvent]:
    seen: set[tuple[str, str]] = set()
    unique: list[PlannedEvent] = []
    for event in events:
        key = (event.reason, event.message)
        if key not in seen:
            seen.add(key)
            unique.append(event)
    return unique


async def reconcile_database(
    context: OperatorContext, body: Mapping[str, Any], *, retry: int, events: EventSink
) -> None:
    """Bring one DMSDatabase's DMS database and connection Secret to its spec."""
    old = dict(body.get("status") or {})
    try:
        intent = database_intent(body)
        credentials, secret = await read_credentials(
            context.kube, intent.namespace, intent.spec.credentials_secret_ref.name
        )
        await protect_credentials(context.kube, intent.namespace, secret)
        session = context.pool.session_for(credentials)
        observed = await observe_database(context.kube, session, intent)
        plan = plan_database(intent, observed)
        result = ApplyResult()
        if not intent.paused:
            result = await apply_database_plan(context.kube, session, intent, observed.org_id, plan)
    except KubeError as error:
        problem = transient(Reason.RECONCILE_ERROR, str(error))
        await report_problem(context.kube, body, problem, events, DATABASE_PLURAL)
        raise_for_problem(problem, context.settings, retry)
        return
    except Problem as caught:
        problem = name_credentials_secret(caught, body)
        await report_problem(context.kube, body, problem, events, DATABASE_PLURAL)
        raise_for_problem(problem, context.settings, retry)
        return

    now = datetime.now(UTC)
    new = database_status(old, intent, observed, plan, result, now)
    new = keep_recent_sync_time(old, new, context.settings.status_sync_refresh_seconds)
    await write_status(context.kube, intent.namespace, DATABASE_PLURAL, intent.name, old, new)
    posted = _unique([*plan.events, *result.events, *transition_events(old, new)])
    post_events(events, posted)
    for event in posted:
        _log.info("[%s/%s] %s: %s", intent.namespace, intent.name, event.reason, event.message)

    if result.started_task is not None or plan.wait:
        raise_for_requeue(
            Requeue(
                context.settings.task_poll_delay_seconds,
                f"waiting for DMS to finish work on instance {intent.instance_name}",
            )
        )
