"""The operator's reaction to bad input and broken credentials: a clear condition, one
Event, no retry storm, and recovery without a restart once the input is fixed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

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

# Long enough for several retries had the operator retried; it does not wait for state.
QUIET_WINDOW_SECONDS = 6


def spec_for(name: str, secret: str, **extra: Any) -> dict[str, Any]:
    return {
        "credentialsSecretRef": {"name": secret},
        "engine": "Postgres",
        "version": "12",
        "adminUsername": "u_" + name.replace("-", "_"),
        "deletionPolicy": "Delete",
        **extra,
    }


def requests_by(dms: SimulatorClient, email: str) -> int:
    response = dms.control("GET", "/requests")
    assert response.status_code == 200, response.text
    return sum(1 for entry in response.json() if entry.get("userEmail") == email)


def test_unknown_version_reported_once(
    cluster: Cluster,
    operator: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("nover")
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret, version="99"))

    condition = cluster.wait_condition(DATABASES, name, "False", "VersionNotFound")
    assert "'99'" in condition["message"]
    assert "12.7.0" in condition["message"]
    synced = cluster.condition(DATABASES, name, "Synced")
    assert synced["reason"] == "VersionNotFound"

    before = requests_by(dms, tenant.email)
    time.sleep(QUIET_WINDOW_SECONDS)
    after = requests_by(dms, tenant.email)
    assert after == before, "the operator kept calling DMS for a permanent problem"
    assert len(cluster.events(name, "VersionNotFound")) == 1
    assert tenant.databases(name) == []

    # spec.version is immutable, so the fix is a new resource; this one deletes at once.
    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)


def test_credentials_problems_recover_without_restart(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    name = unique("creds")
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))

    missing = cluster.wait_condition(DATABASES, name, "False", "CredentialsNotFound")
    assert secret in missing["message"]

    cluster.create_secret(secret, {"endpoint": tenant.dms.base_url, "username": tenant.email})
    malformed = cluster.wait_condition(DATABASES, name, "False", "CredentialsInvalid")
    assert "'password'" in malformed["message"]

    cluster.replace_secret_values(secret, {**tenant.credentials(), "password": "Wrong123!"})
    rejected = cluster.wait_condition(DATABASES, name, "False", "AuthenticationFailed")
    assert "Wrong123!" not in rejected["message"]

    cluster.replace_secret_values(secret, tenant.credentials())
    cluster.wait_condition(DATABASES, name, "True", "Available")
    for reason in ("CredentialsNotFound", "CredentialsInvalid", "AuthenticationFailed"):
        assert len(cluster.events(name, reason)) == 1, reason
    operator.assert_no_secret_in_log("Wrong123!", tenant.password)

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)


def test_credentials_secret_kept_while_in_use(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("keep")
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))
    cluster.wait_condition(DATABASES, name, "True", "Available")
    database_id = (cluster.get(DATABASES, name) or {})["status"]["id"]

    cluster.delete_secret(secret)
    pending = cluster.secret(secret)
    assert pending is not None
    assert pending.metadata.deletion_timestamp is not None
    assert "dms.tanzu.community/credentials-in-use" in (pending.metadata.finalizers or [])

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)
    assert tenant.database(database_id) is None
    wait_for(
        lambda: cluster.secret(secret), lambda found: found is None, "the released Secret to go"
    )


def test_missing_credentials_during_deletion_reported(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("orphan")
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))
    cluster.wait_condition(DATABASES, name, "True", "Available")
    # Switching to a Secret that does not exist leaves the deletion without a login.
    cluster.patch(DATABASES, name, {"spec": {"credentialsSecretRef": {"name": "absent"}}})
    cluster.wait_condition(DATABASES, name, "False", "CredentialsNotFound")

    cluster.delete(DATABASES, name)
    condition = cluster.wait_condition(DATABASES, name, "False", "CredentialsNotFound")
    assert "absent" in condition["message"]
    assert cluster.get(DATABASES, name) is not None

    cluster.create_secret("absent", tenant.credentials())
    cluster.wait_gone(DATABASES, name)
    assert tenant.databases(name) == []
