"""kopf handlers of DMSDatabase: create, update and resume reconcile; a drift timer; delete.

`register` attaches them, because the timer's interval comes from the settings that
`main.py` reads at start-up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kopf

from dms_operator.handlers.common import (
    event_sink,
    last_reconcile,
    mark_reconcile,
    object_lock,
    operator_context,
    report_invalid_interval,
)
from dms_operator.metrics import METRICS
from dms_operator.models.common import API_GROUP, API_VERSION, DATABASE_KIND, DATABASE_PLURAL
from dms_operator.reconcile.database import reconcile_database
from dms_operator.reconcile.database_delete import delete_database_resource
from dms_operator.reconcile.scheduling import drift_check_due
from dms_operator.settings import OperatorSettings

KIND = DATABASE_KIND
RESOURCE = (API_GROUP, API_VERSION, DATABASE_PLURAL)


async def reconcile(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    """Reconcile after a create, an update, or an operator restart."""
    context = operator_context(memo)
    async with object_lock(memo):
        mark_reconcile(memo)
        with METRICS.time_reconcile(KIND):
            await reconcile_database(context, body, retry=retry, events=event_sink(body))


async def check_drift(
    *, body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, retry: int = 0, **_: Any
) -> None:
    """Reconcile when the resource's drift interval has passed; otherwise do nothing.

    A retry (after a TemporaryError of this timer) always runs.
    """
    if body.metadata.get("deletionTimestamp"):
        return
    context = operator_context(memo)
    report_invalid_interval(body.metadata.annotations, memo, logger)
    due = retry > 0 or drift_check_due(
        uid=str(body.metadata.uid),
        annotations=body.metadata.annotations,
        last_sync=body.status.get("lastSyncTime"),
        last_attempt=last_reconcile(memo),
        settings=context.settings,
        now=datetime.now(UTC),
    )
    if not due:
        return
    async with object_lock(memo):
        mark_reconcile(memo)
        with METRICS.time_reconcile(KIND):
            await reconcile_database(context, body, retry=retry, events=event_sink(body))


async def delete(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    """Carry out spec.deletionPolicy before kopf removes the finalizer."""
    context = operator_context(memo)
    async with object_lock(memo):
        await delete_database_resource(context, body, retry=retry, events=event_sink(body))
    METRICS.forget_resource(KIND, str(body.metadata.namespace), str(body.metadata.name))


def register(settings: OperatorSettings) -> None:
    """Register the DMSDatabase handlers with kopf's default registry."""
    kopf.on.create(*RESOURCE, id="reconcile-create")(reconcile)
    kopf.on.update(*RESOURCE, id="reconcile-update")(reconcile)
    kopf.on.resume(*RESOURCE, id="reconcile-resume")(reconcile)
    kopf.on.delete(*RESOURCE, id="delete")(delete)
    kopf.timer(
        *RESOURCE,
        id="drift",
        interval=settings.drift_timer_seconds,
        initial_delay=settings.drift_timer_seconds,
    )(check_drift)
