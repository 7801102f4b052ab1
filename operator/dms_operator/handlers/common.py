"""Helpers shared by the handler modules: the operator context, per-object locks, Events.

kopf gives each object its own `memo`, a shallow copy of the operator-wide memo that
`main.py` fills at start-up. The change handlers and the drift timer of one object run
in separate asyncio tasks. The lock in the object's memo keeps them from reconciling
the same object at the same time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

import kopf

from dms_operator.models.common import RECONCILE_INTERVAL_ANNOTATION, reconcile_interval
from dms_operator.reconcile.context import EventSink, OperatorContext

CONTEXT_KEY: Final = "context"
_LOCK_KEY: Final = "reconcile_lock"
_LAST_RECONCILE_KEY: Final = "last_reconcile"
_INVALID_INTERVAL_KEY: Final = "reported_invalid_interval"


def operator_context(memo: kopf.Memo) -> OperatorContext:
    """Return the context that the start-up handler stored in the memo."""
    context = memo.get(CONTEXT_KEY)
    if not isinstance(context, OperatorContext):
        raise kopf.PermanentError(
            "the operator context is missing; the start-up handler did not run"
        )
    return context


def object_lock(memo: kopf.Memo) -> asyncio.Lock:
    """Return the object's reconcile lock, creating it on first use."""
    lock = memo.get(_LOCK_KEY)
    if not isinstance(lock, asyncio.Lock):
        lock = asyncio.Lock()
        memo[_LOCK_KEY] = lock
    return lock


def mark_reconcile(memo: kopf.Memo) -> None:
    """Record that a reconcile of the object starts now (for the drift timer)."""
    memo[_LAST_RECONCILE_KEY] = datetime.now(UTC)


def last_reconcile(memo: kopf.Memo) -> datetime | None:
    """Return when this process last started a reconcile of the object."""
    value = memo.get(_LAST_RECONCILE_KEY)
    return value if isinstance(value, datetime) else None


def event_sink(body: kopf.Body) -> EventSink:
    """Return a function that posts Kubernetes Events about `body`."""

    def post(type_: str, reason: str, message: str) -> None:
        kopf.event(body, type=type_, reason=reason, message=message)

    return post


def report_invalid_interval(
    annotations: Mapping[str, str],
    memo: kopf.Memo,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> None:
    """Warn once per value about an invalid reconcile-interval annotation.

    The drift timer then uses the default interval. kopf posts the WARNING line as an
    Event on the object, so the user sees which annotation to fix.
    """
    try:
        reconcile_interval(annotations)
    except ValueError as error:
        value = annotations.get(RECONCILE_INTERVAL_ANNOTATION)
        if memo.get(_INVALID_INTERVAL_KEY) != value:
            memo[_INVALID_INTERVAL_KEY] = value
            logger.warning("%s; the default drift interval applies until it is fixed", error)
        return
    memo.pop(_INVALID_INTERVAL_KEY, None)
