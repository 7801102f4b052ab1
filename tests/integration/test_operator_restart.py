"""The operator killed with SIGKILL at the worst moment and started again: exactly one DMS
database after a create, none after a delete.

The simulator delays the create (or delete) request by a few seconds. Meanwhile the
operator is frozen (SIGSTOP, so its connection stays open and the simulator completes
the request), and once DMS has acted it is killed (SIGKILL) without ever reading the
response. The restarted operator must find the database by name and take it as its own,
or find it gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dms_testenv.simulator import SimulatorClient, SimulatorProcess
from tests.integration.operator_env import (
    DATABASES,
    Cluster,
    OperatorProcess,
    Tenant,
    unique,
    wait_for,
)
from tests.kube import KubeAPI

pytestmark = [pytest.mark.kube, pytest.mark.databases, pytest.mark.slow]

# The request stays in flight this long after it reached the simulator.
IN_FLIGHT_SECONDS = 3.0


@pytest.fixture
def restartable(
    kube_api: KubeAPI,
    module_namespace: str,
    operator_simulator: SimulatorProcess,
    tmp_path: Path,
) -> Iterator[OperatorProcess]:
    process = OperatorProcess(tmp_path / "operator", kube_api.kubeconfig, module_namespace)
    yield process
    process.stop()


def add_fault(dms: SimulatorClient, method: str, path: str) -> str:
    response = dms.control(
        "POST",
        "/faults",
        json={
            "path": path,
            "method": method,
            "kind": "delay",
            "delaySeconds": IN_FLIGHT_SECONDS,
            "times": 1,
        },
    )
    assert response.status_code == 200, response.text
    fault_id: str = response.json()["id"]
    return fault_id


def fault_hits(dms: SimulatorClient, fault_id: str) -> int:
    """Hits of a fault; a fault with `times: 1` is removed at its first hit."""
    response = dms.control("GET", "/faults")
    assert response.status_code == 200, response.text
    for fault in response.json():
        if fault["id"] == fault_id:
            return int(fault["hits"])
    return 1


def spec_for(name: str, secret: str, **extra: Any) -> dict[str, Any]:
    return {
        "credentialsSecretRef": {"name": secret},
        "engine": "Postgres",
        "version": "12",
        "adminUsername": "u_" + name.replace("-", "_"),
        "deletionPolicy": "Delete",
        **extra,
    }


def test_killed_during_create_leaves_one_database(
    cluster: Cluster,
    restartable: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("crash")
    fault = add_fault(dms, "POST", r"^/provider/databases$")
    restartable.start()
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))

    wait_for(
        lambda: fault_hits(dms, fault), lambda hits: hits >= 1, "the create request to be in flight"
    )
    restartable.freeze()
    wait_for(
        lambda: tenant.databases(name), lambda found: len(found) == 1, "DMS to create the database"
    )
    restartable.kill()
    assert (cluster.get(DATABASES, name) or {}).get("status", {}).get("id") is None

    restartable.start()
    cluster.wait_condition(DATABASES, name, "True", "Available")
    databases = tenant.databases(name)
    assert len(databases) == 1
    assert (cluster.get(DATABASES, name) or {})["status"]["id"] == databases[0]["id"]
    values = cluster.secret_values(f"{name}-connection")
    with psycopg.connect(values["uri"], connect_timeout=10) as db, db.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert cluster.events(name, "NameConflict") == []


def test_killed_during_delete_leaves_no_database(
    cluster: Cluster,
    restartable: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("crash")
    restartable.start()
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))
    cluster.wait_condition(DATABASES, name, "True", "Available")
    database_id = (cluster.get(DATABASES, name) or {})["status"]["id"]

    fault = add_fault(dms, "DELETE", rf"^/provider/databases/{database_id}$")
    cluster.delete(DATABASES, name)
    wait_for(
        lambda: fault_hits(dms, fault), lambda hits: hits >= 1, "the delete request to be in flight"
    )
    restartable.freeze()
    wait_for(
        lambda: tenant.database(database_id),
        lambda found: found is None,
        "DMS to delete the database",
    )
    restartable.kill()
    assert cluster.get(DATABASES, name) is not None

    restartable.start()
    cluster.wait_gone(DATABASES, name)
    assert tenant.databases(name) == []


def test_killed_while_task_recorded_resumes_it(
    cluster: Cluster,
    restartable: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("crash")
    # Holds the first task poll, so that status.task stays recorded for a while.
    add_fault(dms, "GET", r"^/provider/mastertasks/")
    restartable.start()
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))

    recorded = wait_for(
        lambda: (cluster.get(DATABASES, name) or {}).get("status", {}),
        lambda status: bool(status.get("task")),
        "the create task to be recorded",
    )
    assert recorded["task"]["type"] == "CREATE_DB"
    restartable.kill()
    restartable.start()
    cluster.wait_condition(DATABASES, name, "True", "Available")
    assert len(tenant.databases(name)) == 1
    assert "task" not in (cluster.get(DATABASES, name) or {})["status"]
