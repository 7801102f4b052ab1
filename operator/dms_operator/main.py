"""The operator's entry point: `kopf run -m dms_operator.main` (or `python -m dms_operator`).

Importing this module reads and validates the settings (`DMS_OPERATOR_*` environment
variables) and registers the handlers. The start-up handler configures kopf, creates
the shared clients and starts the metrics endpoint; the clean-up handler stops them.

kopf keeps its finalizer, its progress and its diff base in annotations under the API
group `dms.tanzu.community`, never in `status.kopf`: the CRDs' structural status schema
would prune that field and silently stop kopf's retries.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

import kopf
from pydantic import ValidationError

from dms_operator import __version__
from dms_operator.clients.dms import DMSClientPool
from dms_operator.clients.kube import KubeClient
from dms_operator.handlers import database as database_handlers
from dms_operator.handlers import organization as organization_handlers
from dms_operator.handlers import secrets as secret_handlers
from dms_operator.handlers.common import CONTEXT_KEY, operator_context
from dms_operator.metrics import METRICS, start_metrics_server
from dms_operator.models.common import API_GROUP, FINALIZER, USER_ANNOTATIONS
from dms_operator.reconcile.context import OperatorContext
from dms_operator.reconcile.outcomes import WAITING_PREFIX
from dms_operator.settings import OperatorSettings

_log = logging.getLogger(__name__)
DIFF_BASE_KEY = "last-handled-configuration"
_METRICS_SERVER_KEY = "metrics_server"


def load_settings() -> OperatorSettings:
    """Read the settings; exit with a message naming each invalid variable."""
    try:
        return OperatorSettings()
    except ValidationError as error:
        problems = "; ".join(
            f"DMS_OPERATOR_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors(include_url=False, include_input=False)
        )
        raise SystemExit(f"dms-operator: invalid settings: {problems}") from None


def _with_user_annotations(
    essence: kopf.BodyEssence, annotations: Mapping[str, str]
) -> kopf.BodyEssence:
    kept = {key: annotations[key] for key in USER_ANNOTATIONS if key in annotations}
    if kept:
        metadata = essence.setdefault("metadata", {})
        metadata.setdefault("annotations", {}).update(kept)
    return essence


class DiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """kopf's annotation diff base, keeping the user-facing annotations in the essence.

    kopf leaves every annotation under its own storage prefix out of the diff, which
    would hide changes to `dms.tanzu.community/paused`, `.../reconcile-interval` and
    `.../adopt` from the update handler. They are put back here; the operator's own
    bookkeeping annotations stay out.
    """

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        essence = super().build(body=body, extra_fields=extra_fields)
        return _with_user_annotations(essence, body.metadata.annotations)


class ProgressStorage(kopf.AnnotationsProgressStorage):
    """kopf's annotation progress storage, which also cleans the essence before a diff;
    like `DiffBaseStorage`, it keeps the user-facing annotations in it."""

    def clear(self, *, essence: kopf.BodyEssence) -> kopf.BodyEssence:
        annotations = dict(essence.get("metadata", {}).get("annotations", {}))
        return _with_user_annotations(super().clear(essence=essence), annotations)


class HandlerOutcomeFilter(logging.Filter):
    """Adjust kopf's per-object log lines about handler outcomes.

    - "failed temporarily/permanently" lines stay in the log but do not become Events:
      the reconcile reports each problem in the conditions and posts one Event when it
      is new, while kopf would post another Event on every retry;
    - a "failed temporarily" line that only means the handler waits for a DMS task is
      logged at INFO, as it is no failure;
    - the drift timer's "succeeded" line, written on every wake-up, is dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno >= logging.ERROR and (
            " failed temporarily" in message or " failed permanently" in message
        ):
            record.k8s_skip = True
            if f"failed temporarily: {WAITING_PREFIX}" in message:
                record.levelno = logging.INFO
                record.levelname = logging.getLevelName(logging.INFO)
        return not (record.levelno == logging.INFO and message.endswith("Timer 'drift' succeeded."))


SETTINGS = load_settings()
database_handlers.register(SETTINGS)
organization_handlers.register(SETTINGS)
secret_handlers.register()


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Configure kopf and create the shared DMS and Kubernetes clients."""
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = ProgressStorage(prefix=API_GROUP)
    settings.persistence.diffbase_storage = DiffBaseStorage(prefix=API_GROUP, key=DIFF_BASE_KEY)
    settings.posting.level = logging.WARNING
    # Without timeouts a watch can hang silently behind a proxy or load balancer; these
    # make kopf reconnect every few minutes.
    settings.watching.server_timeout = 270
    settings.watching.client_timeout = 300
    logging.getLogger("kopf.objects").addFilter(HandlerOutcomeFilter())
    # httpx logs every request at INFO; the DMS client logs its own line at DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    memo[CONTEXT_KEY] = OperatorContext(
        settings=SETTINGS,
        pool=DMSClientPool(SETTINGS, observer=METRICS.dms_observer),
        kube=KubeClient.from_environment(),
    )
    if SETTINGS.metrics_port:
        memo[_METRICS_SERVER_KEY] = start_metrics_server(SETTINGS.metrics_port)
        _log.info("Serving Prometheus metrics on port %d", SETTINGS.metrics_port)
    _log.info(
        "dms-operator %s started (Python %s); drift interval %d s",
        __version__,
        sys.version.split()[0],
        SETTINGS.drift_interval_seconds,
    )


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    """Close the shared clients."""
    context = operator_context(memo)
    await context.pool.aclose()
    context.kube.close()
    server = memo.get(_METRICS_SERVER_KEY)
    if server is not None:
        server.shutdown()
