"""The operator's Prometheus metrics: what each API call records, and the HTTP endpoint."""

from __future__ import annotations

import asyncio

import httpx
import kopf
import pytest
from prometheus_client import CollectorRegistry

from dms_operator import __version__
from dms_operator.clients.dms.observer import DMSClientObserver
from dms_operator.metrics import METRICS, OperatorMetrics, start_metrics_server


@pytest.fixture
def metrics() -> OperatorMetrics:
    return OperatorMetrics(CollectorRegistry())


def sample(metrics: OperatorMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_reconcile_success_counted(metrics: OperatorMetrics) -> None:
    with metrics.time_reconcile("DMSDatabase"):
        pass

    assert (
        sample(metrics, "dms_operator_reconciles_total", kind="DMSDatabase", outcome="success") == 1
    )
    assert sample(metrics, "dms_operator_reconcile_duration_seconds_count", kind="DMSDatabase") == 1


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (kopf.TemporaryError("DMS is busy", delay=5), "retry"),
        (kopf.PermanentError("unknown version"), "permanent_error"),
        (RuntimeError("bug"), "error"),
    ],
)
def test_reconcile_failure_outcome(
    metrics: OperatorMetrics, error: Exception, outcome: str
) -> None:
    with pytest.raises(type(error)), metrics.time_reconcile("DMSOrganization"):
        raise error

    assert (
        sample(metrics, "dms_operator_reconciles_total", kind="DMSOrganization", outcome=outcome)
        == 1
    )
    assert (
        sample(metrics, "dms_operator_reconciles_total", kind="DMSOrganization", outcome="success")
        is None
    )


def test_cancelled_reconcile_not_counted(metrics: OperatorMetrics) -> None:
    with pytest.raises(asyncio.CancelledError), metrics.time_reconcile("DMSDatabase"):
        raise asyncio.CancelledError

    assert (
        sample(metrics, "dms_operator_reconcile_duration_seconds_count", kind="DMSDatabase") is None
    )


def test_record_reconcile_observes_duration(metrics: OperatorMetrics) -> None:
    metrics.record_reconcile("DMSDatabase", "success", 0.3)

    assert sample(metrics, "dms_operator_reconcile_duration_seconds_sum", kind="DMSDatabase") == 0.3
    bucket = sample(
        metrics, "dms_operator_reconcile_duration_seconds_bucket", kind="DMSDatabase", le="0.5"
    )
    assert bucket == 1
    below = sample(
        metrics, "dms_operator_reconcile_duration_seconds_bucket", kind="DMSDatabase", le="0.25"
    )
    assert below == 0


def test_resources_start_at_zero(metrics: OperatorMetrics) -> None:
    for kind in ("DMSDatabase", "DMSOrganization"):
        for state in ("True", "False", "Unknown"):
            assert sample(metrics, "dms_operator_resources", kind=kind, ready=state) == 0


def test_resource_ready_transitions(metrics: OperatorMetrics) -> None:
    metrics.set_resource_ready("DMSDatabase", "team-a", "orders", "False")
    metrics.set_resource_ready("DMSDatabase", "team-b", "orders", "False")
    metrics.set_resource_ready("DMSDatabase", "team-a", "orders", "True")
    metrics.set_resource_ready("DMSDatabase", "team-a", "orders", "True")

    assert sample(metrics, "dms_operator_resources", kind="DMSDatabase", ready="True") == 1
    assert sample(metrics, "dms_operator_resources", kind="DMSDatabase", ready="False") == 1

    metrics.forget_resource("DMSDatabase", "team-a", "orders")
    metrics.forget_resource("DMSDatabase", "team-a", "never-seen")

    assert sample(metrics, "dms_operator_resources", kind="DMSDatabase", ready="True") == 0
    assert sample(metrics, "dms_operator_resources", kind="DMSDatabase", ready="False") == 1


def test_resource_ready_rejects_unknown_status(metrics: OperatorMetrics) -> None:
    with pytest.raises(ValueError, match="'true'"):
        metrics.set_resource_ready("DMSDatabase", "ns", "db", "true")

    assert sample(metrics, "dms_operator_resources", kind="DMSDatabase", ready="true") is None


def test_dms_observer_counts_requests(metrics: OperatorMetrics) -> None:
    observer: DMSClientObserver = metrics.dms_observer
    observer.request_finished("GET /databases/{id}", "200", 0.02)
    observer.request_finished("GET /databases/{id}", "200", 0.04)
    observer.request_finished("POST /session", "timeout", 10.0)

    requests = "dms_operator_dms_requests_total"
    latency = "dms_operator_dms_request_duration_seconds_count"
    assert sample(metrics, requests, operation="GET /databases/{id}", status="200") == 2
    assert sample(metrics, requests, operation="POST /session", status="timeout") == 1
    assert sample(metrics, latency, operation="GET /databases/{id}") == 2
    assert sample(metrics, latency, operation="POST /session") == 1


def test_dms_observer_counts_sessions(metrics: OperatorMetrics) -> None:
    metrics.dms_observer.session_established("https://dms.example", "login")
    metrics.dms_observer.session_established("https://dms.example", "renew")
    metrics.dms_observer.session_established("https://other.example", "renew")

    assert sample(metrics, "dms_operator_dms_sessions_total", event="login") == 1
    assert sample(metrics, "dms_operator_dms_sessions_total", event="renew") == 2


def test_build_info_has_version(metrics: OperatorMetrics) -> None:
    assert sample(metrics, "dms_operator_build_info", version=__version__) == 1


def test_process_wide_metrics_in_default_registry() -> None:
    assert METRICS.registry.get_sample_value("dms_operator_build_info", {"version": __version__})


def test_metrics_server_serves_registry(metrics: OperatorMetrics) -> None:
    metrics.record_reconcile("DMSDatabase", "success", 1.5)
    server = start_metrics_server(0, address="127.0.0.1", registry=metrics.registry)
    try:
        response = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10)
    finally:
        server.shutdown()
        server.server_close()

    assert response.status_code == 200
    assert (
        'dms_operator_reconciles_total{kind="DMSDatabase",outcome="success"} 1.0' in response.text
    )
    assert "# TYPE dms_operator_resources gauge" in response.text
