"""The operator managing DMSDatabases end to end: a real API server, the simulator, real
PostgreSQL and MariaDB servers, and the operator run as `python -m dms_operator`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
import pymysql
import pytest

from dms_testenv.simulator import SimulatorClient
from tests.integration.operator_env import (
    DATABASES,
    Cluster,
    OperatorProcess,
    Tenant,
    unique,
    wait_for,
)

pytestmark = [pytest.mark.kube, pytest.mark.databases, pytest.mark.slow]


def login_secret(cluster: Cluster, tenant: Tenant) -> str:
    name = unique("dms-login")
    cluster.create_secret(name, tenant.credentials())
    return name


def database_spec(
    name: str, secret: str, engine: str, version: str, **extra: Any
) -> dict[str, Any]:
    """A spec with an admin login unique to `name`: the simulator's databases share one
    real server per engine, where each login name exists once."""
    return {
        "credentialsSecretRef": {"name": secret},
        "engine": engine,
        "version": version,
        "adminUsername": admin_login(name),
        **extra,
    }


def admin_login(name: str) -> str:
    return "u_" + name.replace("-", "_")


def status_of(cluster: Cluster, name: str) -> dict[str, Any]:
    found = cluster.get(DATABASES, name) or {}
    return dict(found.get("status") or {})


def test_postgres_lifecycle(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = login_secret(cluster, tenant)
    name = unique("pg")
    spec = database_spec(name, secret, "Postgres", "12", deletionPolicy="Delete", cpu=2, memoryGB=4)
    cluster.create(DATABASES, "DMSDatabase", name, spec)

    cluster.wait_condition(DATABASES, name, "True", "Available")
    status = status_of(cluster, name)
    assert status["dmsStatus"] == "ONLINE"
    assert status["binding"] == {"name": f"{name}-connection"}
    assert "task" not in status
    database_id = status["id"]
    assert tenant.database(database_id) is not None

    connection = cluster.secret(f"{name}-connection")
    assert connection is not None
    assert connection.type == "servicebinding.io/postgresql"
    owners = connection.metadata.owner_references or []
    assert [owner.kind for owner in owners] == ["DMSDatabase"]
    values = cluster.secret_values(f"{name}-connection")
    assert values["type"] == "postgresql"
    assert values["provider"] == "vmware-dms"
    assert values["database"] == name.replace("-", "_")
    assert values["password"] not in values["jdbc-url"]
    with psycopg.connect(values["uri"], connect_timeout=10) as db, db.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)

    cluster.patch(DATABASES, name, {"spec": {"cpu": 4}})
    wait_for(
        lambda: (tenant.database(database_id) or {}).get("hwConfig", {}).get("cpuCores"),
        lambda cpu: cpu == 4,
        "DMS to report 4 CPUs",
    )
    wait_for(
        lambda: cluster.get(DATABASES, name) or {},
        lambda found: (
            found.get("status", {}).get("observedGeneration") == found["metadata"]["generation"]
            and cluster.condition(DATABASES, name).get("reason") == "Available"
        ),
        "the update to be reported Ready",
    )

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)
    assert tenant.database(database_id) is None
    wait_for(
        lambda: cluster.secret(f"{name}-connection"),
        lambda found: found is None,
        "the connection Secret to be garbage-collected",
    )
    operator.assert_no_secret_in_log(values["password"], tenant.password)
    assert (
        operator.metric("dms_operator_reconciles_total", kind="DMSDatabase", outcome="success") > 0
    )


def test_mysql_lifecycle_retain(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = login_secret(cluster, tenant)
    name = unique("my")
    cluster.create(
        DATABASES, "DMSDatabase", name, database_spec(name, secret, "MySQL", "8.0.23", storageGB=30)
    )

    cluster.wait_condition(DATABASES, name, "True", "Available")
    database_id = status_of(cluster, name)["id"]
    values = cluster.secret_values(f"{name}-connection")
    assert values["type"] == "mysql"
    connection = pymysql.connect(
        host=values["host"],
        port=int(values["port"]),
        user=values["username"],
        password=values["password"],
        database=values["database"],
        connect_timeout=10,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        connection.close()

    cluster.patch(DATABASES, name, {"spec": {"storageGB": 40}})
    wait_for(
        lambda: (tenant.database(database_id) or {}).get("hwConfig", {}).get("hdDiskSizeGB"),
        lambda size: size == 40,
        "DMS to report a 40 GB disk",
    )

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)
    assert tenant.database(database_id) is not None
    kept = cluster.secret(f"{name}-connection")
    assert kept is not None
    assert not kept.metadata.owner_references
    assert cluster.events(name, "Retained")


def test_drift_restored_and_recreated(
    cluster: Cluster,
    operator: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = login_secret(cluster, tenant)
    name = unique("drift")
    interval = {"dms.tanzu.community/reconcile-interval": "2"}
    spec = database_spec(name, secret, "Postgres", "12.7.0", cpu=2, deletionPolicy="Delete")
    cluster.create(DATABASES, "DMSDatabase", name, spec, annotations=interval)
    cluster.wait_condition(DATABASES, name, "True", "Available")
    first_id = status_of(cluster, name)["id"]

    changed = dms.control("PATCH", f"/databases/{first_id}", json={"hwConfig": {"cpuCores": 8}})
    assert changed.status_code == 200, changed.text
    wait_for(
        lambda: (tenant.database(first_id) or {}).get("hwConfig", {}).get("cpuCores"),
        lambda cpu: cpu == 2,
        "the operator to scale the database back to 2 CPUs",
    )
    drift_events = cluster.events(name, "DriftDetected")
    assert drift_events
    assert "spec.cpu" in (drift_events[0].message or "")

    removed = dms.control("DELETE", f"/databases/{first_id}")
    assert removed.status_code == 200, removed.text
    recreated = wait_for(
        lambda: status_of(cluster, name),
        lambda status: (
            status.get("id") not in (None, first_id) and status.get("dmsStatus") == "ONLINE"
        ),
        "the database to be created again",
    )
    cluster.wait_condition(DATABASES, name, "True", "Available")
    assert [item["id"] for item in tenant.databases(name)] == [recreated["id"]]
    assert any(first_id in (event.message or "") for event in cluster.events(name, "DriftDetected"))
    values = cluster.secret_values(f"{name}-connection")
    with psycopg.connect(values["uri"], connect_timeout=10) as db, db.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)


def test_existing_instance_refused_until_adopted(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = login_secret(cluster, tenant)
    name = unique("taken")
    existing = tenant.create_database(name, admin_login(name), "Existing1!")
    cluster.create_secret(f"{name}-admin", {"password": "Existing1!"})
    spec = database_spec(
        name, secret, "Postgres", "12", adminPasswordSecretRef={"name": f"{name}-admin"}
    )
    cluster.create(DATABASES, "DMSDatabase", name, spec)

    refused = cluster.wait_condition(DATABASES, name, "False", "NameConflict")
    assert existing["id"] in refused["message"]
    assert "dms.tanzu.community/adopt" in refused["message"]
    assert cluster.secret(f"{name}-connection") is None
    assert len(cluster.events(name, "NameConflict")) == 1

    cluster.patch(
        DATABASES, name, {"metadata": {"annotations": {"dms.tanzu.community/adopt": "true"}}}
    )
    cluster.wait_condition(DATABASES, name, "True", "Available")
    assert status_of(cluster, name)["id"] == existing["id"]
    assert [item["id"] for item in tenant.databases(name)] == [existing["id"]]
    values = cluster.secret_values(f"{name}-connection")
    with psycopg.connect(values["uri"], connect_timeout=10) as db, db.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_paused_database_gets_no_writes(
    cluster: Cluster,
    operator: OperatorProcess,
    new_tenant: Callable[[], Tenant],
) -> None:
    tenant = new_tenant()
    secret = login_secret(cluster, tenant)
    name = unique("paused")
    cluster.create(
        DATABASES, "DMSDatabase", name, database_spec(name, secret, "Postgres", "12", cpu=2)
    )
    cluster.wait_condition(DATABASES, name, "True", "Available")
    database_id = status_of(cluster, name)["id"]

    paused = {"dms.tanzu.community/paused": "true"}
    cluster.patch(DATABASES, name, {"metadata": {"annotations": paused}, "spec": {"cpu": 4}})
    synced = cluster.wait_condition(DATABASES, name, "False", "Paused", type_="Synced")
    assert "paused" in synced["message"]
    ready = cluster.wait_condition(DATABASES, name, "False", "Paused")
    assert "spec.cpu" in ready["message"]
    assert (tenant.database(database_id) or {})["hwConfig"]["cpuCores"] == 2

    cluster.patch(
        DATABASES, name, {"metadata": {"annotations": {"dms.tanzu.community/paused": None}}}
    )
    wait_for(
        lambda: (tenant.database(database_id) or {}).get("hwConfig", {}).get("cpuCores"),
        lambda cpu: cpu == 4,
        "the held-back change to reach DMS after unpausing",
    )
    cluster.wait_condition(DATABASES, name, "True", "ReconcileSuccess", type_="Synced")


def _resource_versions(cluster: Cluster, name: str, secret_name: str) -> tuple[str, str]:
    resource = cluster.get(DATABASES, name) or {}
    secret = cluster.secret(secret_name)
    secret_version = secret.metadata.resource_version if secret is not None else ""
    return resource.get("metadata", {}).get("resourceVersion", ""), secret_version


def test_idle_drift_check_writes_nothing(
    cluster: Cluster,
    operator: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = login_secret(cluster, tenant)
    name = unique("idle")
    # A two-second drift interval, so that the window below covers several checks.
    cluster.create(
        DATABASES,
        "DMSDatabase",
        name,
        database_spec(name, secret, "Postgres", "12"),
        annotations={"dms.tanzu.community/reconcile-interval": "2"},
    )
    cluster.wait_condition(DATABASES, name, "True", "Available")
    database_id = status_of(cluster, name)["id"]

    # Let the writes that follow creation (kopf's own annotations) settle first.
    previous: list[tuple[str, str]] = []

    def settled() -> tuple[str, str]:
        previous.append(_resource_versions(cluster, name, f"{name}-connection"))
        return previous[-1]

    wait_for(settled, lambda _: len(previous) > 12 and len(set(previous[-12:])) == 1, "quiet")
    before = _resource_versions(cluster, name, f"{name}-connection")
    dms.control("DELETE", "/requests")

    time.sleep(7)  # an observation window of about three drift intervals

    log = [
        entry for entry in dms.control("GET", "/requests").json() if database_id in entry["path"]
    ]
    reads = [entry for entry in log if entry["method"] == "GET"]
    writes = [entry for entry in log if entry["method"] != "GET"]
    assert len(reads) >= 2, log
    assert writes == []
    assert _resource_versions(cluster, name, f"{name}-connection") == before
