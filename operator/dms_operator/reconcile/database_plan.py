"""The plan of a DMSDatabase reconcile: a pure function from intent and observation to
the actions to take and the conditions to report. No I/O happens here.

The order of a plan's actions matters, because the apply step starts at most one DMS
task per reconcile and comes back when it ends:

1. a running DMS task, or a transitional DMS status, means wait;
2. no database: write the pending connection Secret, mark the create request, create;
3. a database found by name that this resource did not create is refused, unless the
   adopt annotation allows it;
4. an existing database: power on first, because the other operations need it ONLINE.
   Then options, client TLS, sizing and disk, and power off last. The backup and
   maintenance settings are synchronous and applied while the database is ONLINE or
   POWEREDOFF.

A failed task, or a database that DMS reports failed, starts no task in this reconcile
(see `database_failures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dms_operator.models.common import ADOPT_ANNOTATION, ConditionStatus
from dms_operator.models.conditions import Reason
from dms_operator.models.database import PowerState
from dms_operator.models.dms import Database, DatabaseStatus
from dms_operator.reconcile.database_diff import (
    differences,
    power_difference,
    unsupported_changes,
)
from dms_operator.reconcile.database_failures import (
    CREATE_DB,
    FAILED_STATUSES,
    failed_create_ready,
    failed_status_ready,
    failed_update_ready,
    task_failed_event,
)
from dms_operator.reconcile.database_types import (
    Action,
    CreateDatabase,
    DatabaseIntent,
    DatabaseObservation,
    DatabasePlan,
    MarkCreateRequested,
    PasswordOrigin,
    PowerOff,
    PowerOn,
    WriteConnectionSecret,
)
from dms_operator.reconcile.outcomes import permanent
from dms_operator.reconcile.status import NORMAL, WARNING, Condition, PlannedEvent

# DMS statuses in which an operation is under way, so the operator waits.
BUSY_STATUSES = frozenset(
    {
        DatabaseStatus.INIT,
        DatabaseStatus.MODIFYING,
        DatabaseStatus.DELETING,
        "BACKUP_IN_PROGRESS",
        "CONTROL_PLANE_UPDATE_IN_PROGRESS",
        "DB_ENGINE_UPDATE_IN_PROGRESS",
        "OS_UPDATE_IN_PROGRESS",
    }
)


def _ready(status: ConditionStatus, reason: Reason, message: str) -> Condition:
    return Condition(status, reason, message)


def plan_database(intent: DatabaseIntent, observed: DatabaseObservation) -> DatabasePlan:
    """Return the plan for one reconcile of a DMSDatabase.

    Raises a permanent `Problem` for a name conflict or an engine mismatch, which only a
    change to the resource can resolve.
    """
    task = observed.task
    if task is not None and task.is_running:
        return _plan_wait_for_task(intent, observed)
    plan = _plan_after_tasks(intent, observed)
    if task is not None and task.failed and not plan.failed:
        # Ready does not report this failure, so an Event does.
        return replace(plan, events=(task_failed_event(task), *plan.events))
    return plan


def _plan_after_tasks(intent: DatabaseIntent, observed: DatabaseObservation) -> DatabasePlan:
    events: list[PlannedEvent] = []
    database = observed.database
    if database is None:
        return _plan_create(intent, observed, events)

    if intent.recorded_id != database.id:
        _check_adoption(intent, observed.org_id, database)
        if intent.adopt and not intent.create_requested and intent.recorded_id is None:
            events.append(
                PlannedEvent(
                    NORMAL,
                    "Adopted",
                    f"adopted existing DMS database {database.instance_name} ({database.id})",
                )
            )
    plan = _plan_existing(intent, observed, database)
    return replace(plan, database_id=database.id, events=(*events, *plan.events))


def _plan_wait_for_task(intent: DatabaseIntent, observed: DatabaseObservation) -> DatabasePlan:
    task = observed.task
    assert task is not None
    database_id = observed.database.id if observed.database is not None else intent.recorded_id
    if task.task_type == "CREATE_DB":
        reason = Reason.CREATING
        message = f"DMS is creating instance {intent.instance_name}"
    elif intent.ready_reason == Reason.DRIFT_DETECTED and intent.ready_message:
        return DatabasePlan(
            ready=_ready(ConditionStatus.FALSE, Reason.DRIFT_DETECTED, intent.ready_message),
            database_id=database_id,
            wait=True,
        )
    else:
        reason = Reason.UPDATING
        message = f"DMS is running task {task.task_type} on instance {intent.instance_name}"
    return DatabasePlan(
        ready=_ready(ConditionStatus.FALSE, reason, message),
        database_id=database_id,
        wait=True,
    )


def _plan_create(
    intent: DatabaseIntent, observed: DatabaseObservation, events: list[PlannedEvent]
) -> DatabasePlan:
    if observed.missing_id is not None:
        events.append(
            PlannedEvent(
                WARNING,
                Reason.DRIFT_DETECTED,
                f"DMS database {observed.missing_id} ({intent.instance_name}) no longer exists; "
                "creating it again",
            )
        )
    task = observed.task
    if task is not None and task.failed and task.task_type == CREATE_DB:
        # Creating again at once would most likely fail the same way; the next drift
        # check or spec change tries again.
        ready = failed_create_ready(intent, task)
        return DatabasePlan(
            ready=ready,
            events=(*events, PlannedEvent(WARNING, Reason.TASK_FAILED, ready.message)),
            failed=True,
        )
    if intent.paused:
        return DatabasePlan(
            ready=_ready(
                ConditionStatus.FALSE,
                Reason.PAUSED,
                f"instance {intent.instance_name} is not created while reconciling is paused",
            ),
            events=tuple(events),
            pending=(f"create instance {intent.instance_name}",),
        )
    request = observed.create_request
    if request is None:
        raise ValueError("a database to create needs observed.create_request")
    actions: list[Action] = []
    if observed.connection_secret is not None and observed.connection_secret_stale:
        actions.append(WriteConnectionSecret(observed.connection_secret, complete=False))
    if not intent.create_requested:
        actions.append(MarkCreateRequested())
    actions.append(CreateDatabase(request))
    return DatabasePlan(
        ready=_ready(
            ConditionStatus.FALSE,
            Reason.CREATING,
            f"creating instance {intent.instance_name} in DMS",
        ),
        actions=tuple(actions),
        events=tuple(events),
    )


def _check_adoption(intent: DatabaseIntent, org_id: str, database: Database) -> None:
    """Raise unless the database found by name may become this resource's database."""
    if intent.recorded_id is None and not (intent.create_requested or intent.adopt):
        raise permanent(
            Reason.NAME_CONFLICT,
            f"DMS already has a database named {database.instance_name} (id {database.id}) in "
            f"organization {org_id} that this resource did not create; set the annotation "
            f'{ADOPT_ANNOTATION}: "true" to adopt it, or choose another spec.instanceName',
        )
    wanted = intent.engine.dms_service_type
    if database.db_type and database.db_type != wanted:
        raise permanent(
            Reason.NAME_CONFLICT,
            f"DMS database {database.instance_name} (id {database.id}) is a {database.db_type} "
            f"database, but spec.engine is {intent.engine.value}; choose another "
            "spec.instanceName",
        )


def _plan_existing(
    intent: DatabaseIntent, observed: DatabaseObservation, database: Database
) -> DatabasePlan:
    status = database.status
    unsupported = unsupported_changes(intent, observed, database)
    secret_actions = _secret_actions(observed, database)

    if status in BUSY_STATUSES:
        reason = Reason.CREATING if status == DatabaseStatus.INIT else Reason.UPDATING
        verbs: dict[str, str] = {
            DatabaseStatus.INIT: "being created",
            DatabaseStatus.DELETING: "being deleted",
        }
        verb = verbs.get(status, f"busy ({status})")
        if status == DatabaseStatus.DELETING:
            reason = Reason.NOT_ONLINE
        return DatabasePlan(
            ready=_ready(
                ConditionStatus.FALSE, reason, f"DMS instance {database.instance_name} is {verb}"
            ),
            actions=secret_actions,
            wait=True,
            unsupported=tuple(unsupported),
        )

    found = differences(intent, observed, database)
    settings = [item.action for item in found if not item.action.starts_task]
    tasks = [item.action for item in found if item.action.starts_task]
    want_on = intent.spec.effective_power_state() is PowerState.ON

    if status == DatabaseStatus.ONLINE:
        ordered = [*settings, *tasks]
        if not want_on:
            ordered.append(PowerOff())
    elif status == DatabaseStatus.POWEREDOFF:
        ordered = [*settings]
        if want_on:
            ordered.append(PowerOn())
    elif status in FAILED_STATUSES:
        return _plan_failed_status(intent, observed, database, secret_actions, unsupported)
    else:
        # WARNING, CRITICAL, LOST_CONNECTIVITY and other statuses: DMS must recover the
        # database first.
        return DatabasePlan(
            ready=_ready(
                ConditionStatus.FALSE,
                Reason.NOT_ONLINE,
                f"DMS reports instance {database.instance_name} as {status}",
            ),
            actions=secret_actions,
            unsupported=tuple(unsupported),
        )

    held_back = [action.describe() for action in tasks if action not in ordered]
    power = power_difference(intent, database)
    fields = [item.field for item in found] + ([power] if power is not None else [])
    drift = bool(fields) and _was_settled(intent)
    events: list[PlannedEvent] = []

    if intent.paused:
        pending = tuple(action.describe() for action in (*secret_actions, *ordered))
        ready = _paused_ready(database.instance_name, pending, status, want_on)
        return DatabasePlan(ready=ready, pending=pending, unsupported=tuple(unsupported))

    task = observed.task
    held_tasks = tuple(action.describe() for action in ordered if action.starts_task)
    if task is not None and task.failed and task.task_type != CREATE_DB and held_tasks:
        # Starting a task again at once could fail the same way on every task poll.
        ready = failed_update_ready(intent, task)
        return DatabasePlan(
            ready=ready,
            actions=(*secret_actions, *settings),
            database_id=database.id,
            unsupported=tuple(unsupported),
            events=(PlannedEvent(WARNING, Reason.TASK_FAILED, ready.message),),
            pending=(*held_tasks, *held_back),
            failed=True,
        )

    actions = (*secret_actions, *ordered)
    first_task = next((action for action in ordered if action.starts_task), None)
    drift_message = (
        f"DMS instance {database.instance_name} differs from the spec in "
        f"{', '.join(fields)}; restoring the spec"
    )
    if drift and ordered:
        events.append(PlannedEvent(WARNING, Reason.DRIFT_DETECTED, drift_message))
    if first_task is not None and drift:
        ready = _ready(ConditionStatus.FALSE, Reason.DRIFT_DETECTED, drift_message)
    elif first_task is not None:
        ready = _ready(
            ConditionStatus.FALSE,
            Reason.UPDATING,
            f"applying the spec to instance {database.instance_name}: {first_task.describe()}",
        )
    elif status == DatabaseStatus.POWEREDOFF:
        message = f"instance {database.instance_name} is powered off as spec.powerState requests"
        if held_back:
            message += f"; waiting for power-on: {', '.join(held_back)}"
        ready = _ready(ConditionStatus.FALSE, Reason.POWERED_OFF, message)
    elif observed.password_origin is PasswordOrigin.UNKNOWN or observed.password is None:
        ready = _ready(
            ConditionStatus.FALSE,
            Reason.PASSWORD_UNKNOWN,
            f"the admin password of adopted instance {database.instance_name} is unknown, so "
            "the connection Secret is not written; set spec.adminPasswordSecretRef to it",
        )
    elif not observed.connection_secret_complete:
        ready = _ready(
            ConditionStatus.FALSE,
            Reason.NOT_ONLINE,
            f"DMS reports no host for instance {database.instance_name} yet",
        )
    else:
        ready = _ready(
            ConditionStatus.TRUE,
            Reason.AVAILABLE,
            f"instance {database.instance_name} is ONLINE and matches the spec",
        )
    return DatabasePlan(
        ready=ready,
        actions=actions,
        database_id=database.id,
        unsupported=tuple(unsupported),
        events=tuple(events),
        pending=tuple(held_back),
    )


def _plan_failed_status(
    intent: DatabaseIntent,
    observed: DatabaseObservation,
    database: Database,
    secret_actions: tuple[Action, ...],
    unsupported: Sequence[str],
) -> DatabasePlan:
    ready = failed_status_ready(intent, observed.task, database)
    events: tuple[PlannedEvent, ...] = ()
    if observed.task is not None and observed.task.failed:
        # The same text as the Ready transition's Event, so that only one is posted.
        events = (PlannedEvent(WARNING, ready.reason, ready.message),)
    return DatabasePlan(
        ready=ready,
        actions=secret_actions,
        database_id=database.id,
        unsupported=tuple(unsupported),
        events=events,
        failed=True,
    )


def _was_settled(intent: DatabaseIntent) -> bool:
    """Return whether the last reconcile found this generation Ready (a difference is drift)."""
    return (
        intent.observed_generation == intent.generation and intent.ready_reason == Reason.AVAILABLE
    )


def _paused_ready(instance: str, pending: Sequence[str], status: str, want_on: bool) -> Condition:
    if pending:
        return _ready(
            ConditionStatus.FALSE,
            Reason.PAUSED,
            f"reconciling is paused; pending for instance {instance}: {', '.join(pending)}",
        )
    if status == DatabaseStatus.POWEREDOFF and not want_on:
        return _ready(
            ConditionStatus.FALSE,
            Reason.POWERED_OFF,
            f"instance {instance} is powered off as spec.powerState requests",
        )
    return _ready(
        ConditionStatus.TRUE,
        Reason.AVAILABLE,
        f"instance {instance} is ONLINE and matches the spec",
    )


def _secret_actions(observed: DatabaseObservation, database: Database) -> tuple[Action, ...]:
    if (
        observed.connection_secret is not None
        and observed.connection_secret_stale
        and observed.connection_secret_complete
        and database.connection_host
    ):
        return (WriteConnectionSecret(observed.connection_secret, complete=True),)
    return ()
