"""Prometheus metrics of the operator, and the HTTP server that exposes them.

The reconciler and `main.py` use this small API on the process-wide `METRICS`:

- `start_metrics_server(port)` serves `/metrics` on a background thread; `main.py`
  calls it once at start-up.
- `with METRICS.time_reconcile(kind): ...` times one reconcile and counts its outcome:
  `success` when the block returns, `retry` for `kopf.TemporaryError`,
  `permanent_error` for `kopf.PermanentError`, `error` for any other exception. A
  cancelled reconcile (operator shutdown) is not counted. `record_reconcile` records
  an outcome measured elsewhere.
- `METRICS.set_resource_ready(kind, namespace, name, status)` after each status write,
  with the Ready condition's status (`True`, `False`, `Unknown`), and
  `METRICS.forget_resource(kind, namespace, name)` once the resource is gone.
- `METRICS.dms_observer` is the `DMSClientObserver` to hand to `DMSClientPool`.

Metric names, all prefixed `dms_operator_`:

    reconciles_total                counter    kind, outcome
    reconcile_duration_seconds      histogram  kind
    dms_requests_total              counter    operation (route template), status (HTTP
                                               code, "timeout" or "transport_error")
    dms_request_duration_seconds    histogram  operation
    dms_sessions_total              counter    event ("login" or "renew")
    resources                       gauge      kind, ready ("True", "False", "Unknown")
    build_info                      gauge      version

Labels never carry a namespace, a name or an id, so the number of series stays fixed
whatever the number of resources. This module imports no layer of the operator: the
DMS observer satisfies the `DMSClientObserver` protocol by its methods alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final
from wsgiref.simple_server import WSGIServer

import kopf
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    start_http_server,
)

from dms_operator import __version__

KINDS: Final = ("DMSDatabase", "DMSOrganization")
READY_STATES: Final = ("True", "False", "Unknown")

# Reconciles wait for DMS round trips and Kubernetes writes: from tens of
# milliseconds up to a couple of minutes when DMS is slow.
_RECONCILE_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_REQUEST_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class DMSRequestMetrics:
    """The `DMSClientObserver` that records DMS requests and sessions."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests = Counter(
            "dms_operator_dms_requests",
            "DMS API requests, retries and logins included, by route and result.",
            ["operation", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "dms_operator_dms_request_duration_seconds",
            "Wall time of one DMS API request, by route.",
            ["operation"],
            buckets=_REQUEST_BUCKETS,
            registry=registry,
        )
        self._sessions = Counter(
            "dms_operator_dms_sessions",
            "DMS sessions established: fresh logins and token renewals.",
            ["event"],
            registry=registry,
        )

    def request_finished(self, operation: str, outcome: str, seconds: float) -> None:
        """Count one request and observe its duration."""
        self._requests.labels(operation=operation, status=outcome).inc()
        self._latency.labels(operation=operation).observe(seconds)

    def session_established(self, endpoint: str, event: str) -> None:
        """Count one new token; the endpoint is left out to keep the series few."""
        self._sessions.labels(event=event).inc()


class OperatorMetrics:
    """Every metric of the operator, registered in one registry."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self._reconciles = Counter(
            "dms_operator_reconciles",
            "Finished reconciles by kind and outcome (success, retry, permanent_error, error).",
            ["kind", "outcome"],
            registry=registry,
        )
        self._reconcile_duration = Histogram(
            "dms_operator_reconcile_duration_seconds",
            "Wall time of one reconcile, by kind.",
            ["kind"],
            buckets=_RECONCILE_BUCKETS,
            registry=registry,
        )
        self._resources = Gauge(
            "dms_operator_resources",
            "Resources this operator reconciles, by kind and status of their Ready condition.",
            ["kind", "ready"],
            registry=registry,
        )
        build = Info("dms_operator_build", "Version of the running operator.", registry=registry)
        build.info({"version": __version__})
        self.dms_observer = DMSRequestMetrics(registry)

        self._lock = threading.Lock()
        self._ready_by_resource: dict[tuple[str, str, str], str] = {}
        # Zero series for the known kinds, so that dashboards show 0 rather than nothing.
        for kind in KINDS:
            for state in READY_STATES:
                self._resources.labels(kind=kind, ready=state).set(0)

    def record_reconcile(self, kind: str, outcome: str, seconds: float) -> None:
        """Count one finished reconcile of `kind` and observe its duration."""
        self._reconciles.labels(kind=kind, outcome=outcome).inc()
        self._reconcile_duration.labels(kind=kind).observe(seconds)

    @contextmanager
    def time_reconcile(self, kind: str) -> Iterator[None]:
        """Time the block as one reconcile of `kind`; its exception, if any, sets the outcome."""
        started = time.monotonic()
        try:
            yield
        except kopf.TemporaryError:
            self.record_reconcile(kind, "retry", time.monotonic() - started)
            raise
        except kopf.PermanentError:
            self.record_reconcile(kind, "permanent_error", time.monotonic() - started)
            raise
        except Exception:
            self.record_reconcile(kind, "error", time.monotonic() - started)
            raise
        self.record_reconcile(kind, "success", time.monotonic() - started)

    def set_resource_ready(self, kind: str, namespace: str, name: str, status: str) -> None:
        """Record the Ready status (`True`, `False` or `Unknown`) of one resource.

        Raises ValueError for any other status, so that a typo does not add a series.
        """
        if status not in READY_STATES:
            raise ValueError(f"Ready status {status!r} is invalid; expected one of {READY_STATES}")
        with self._lock:
            previous = self._ready_by_resource.get((kind, namespace, name))
            if previous == status:
                return
            self._ready_by_resource[(kind, namespace, name)] = status
            if previous is not None:
                self._resources.labels(kind=kind, ready=previous).dec()
            self._resources.labels(kind=kind, ready=status).inc()

    def forget_resource(self, kind: str, namespace: str, name: str) -> None:
        """Stop counting a deleted resource; a resource never recorded is ignored."""
        with self._lock:
            previous = self._ready_by_resource.pop((kind, namespace, name), None)
            if previous is not None:
                self._resources.labels(kind=kind, ready=previous).dec()


METRICS: Final = OperatorMetrics()


def start_metrics_server(
    port: int,
    address: str = "0.0.0.0",  # noqa: S104 (in a pod, Prometheus scrapes the pod's IP)
    registry: CollectorRegistry = REGISTRY,
) -> WSGIServer:
    """Serve `/metrics` of `registry` on `address:port` from a daemon thread.

    Returns the server, whose `server_port` is the bound port (useful with port 0)
    and whose `shutdown()` stops it. Raises OSError when the port is taken.
    """
    server, _thread = start_http_server(port, addr=address, registry=registry)
    return server
