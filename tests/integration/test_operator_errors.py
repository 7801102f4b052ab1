"""The operator's reaction to bad input and broken credentials: a clear condition, one
Event, no retry storm, and recovery without a restart once the input is fixed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dms_testenv.simulator import USER_PASSWORD, SimulatorClient, SimulatorProcess
from tests.integration.conftest import PROVIDER_EMAIL, PROVIDER_PASSWORD
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

    # Nothing exists in DMS yet, so the CRD lets the version be corrected in place.
    cluster.patch(DATABASES, name, {"spec": {"version": "12"}})
    cluster.wait_condition(DATABASES, name, "True", "Available")

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)
    assert tenant.databases(name) == []


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
    assert (
        f"correct username and password in the credentials Secret {cluster.namespace}/{secret}"
        in rejected["message"]
    )

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


def test_failed_create_reports_fix(
    cluster: Cluster,
    operator: OperatorProcess,
    new_tenant: Callable[[], Tenant],
    dms: SimulatorClient,
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("fatal")
    failure = {"taskType": "CREATE_DB", "message": "datastore vsanDatastore is full"}
    assert dms.control("POST", "/tasks/fail-next", json=failure).status_code == 200
    try:
        cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))
        ready = cluster.wait_condition(DATABASES, name, "False", "TaskFailed")
    finally:
        # A failure the test did not use would hit the next CREATE_DB of the session.
        dms.control("DELETE", "/tasks/fail-next")

    assert "datastore vsanDatastore is full" in ready["message"]
    assert "FATAL" in ready["message"]
    assert "spec.deletionPolicy to Delete" in ready["message"]
    synced = cluster.condition(DATABASES, name, "Synced")
    assert synced["status"] == "False"
    assert synced["reason"] == "TaskFailed"
    assert synced["message"] == ready["message"]
    status = (cluster.get(DATABASES, name) or {})["status"]
    assert status["dmsStatus"] == "FATAL"
    assert "task" not in status
    [database] = tenant.databases(name)
    assert database["status"] == "FATAL"

    before = requests_by(dms, tenant.email)
    time.sleep(QUIET_WINDOW_SECONDS)
    assert requests_by(dms, tenant.email) == before, "the operator kept calling DMS"
    assert cluster.condition(DATABASES, name) == ready
    assert len(cluster.events(name, "TaskFailed")) == 1

    # The fix the message names: deletionPolicy Delete (set already), delete, create again.
    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)
    assert tenant.databases(name) == []


def test_missing_organization_names_reference(
    cluster: Cluster, operator: OperatorProcess, new_tenant: Callable[[], Tenant]
) -> None:
    tenant = new_tenant()
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("noorg")
    spec = spec_for(name, secret, organizationRef={"name": "globex"})
    cluster.create(DATABASES, "DMSDatabase", name, spec)

    condition = cluster.wait_condition(DATABASES, name, "False", "OrganizationNotFound")
    assert "'globex'" in condition["message"]
    assert "correct spec.organizationRef.name" in condition["message"]

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)


@pytest.fixture(scope="module")
def https_dms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulatorClient, str]]:
    """An HTTPS simulator with its own CA (simulated databases only), and that CA (PEM)."""
    workdir = tmp_path_factory.mktemp("https-simulator")
    ca_file = workdir / "ca.crt"
    env = {"DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL, "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD}
    args = ["--tls", f"--tls-ca-file={ca_file}", "--enable-control-api", "--log-level", "WARNING"]
    with SimulatorProcess(workdir, args, env=env, name="https-simulator") as process:
        client = SimulatorClient(process.base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD, verify=False)
        yield client, Path(ca_file).read_text()
        client.close()


def test_untrusted_certificate_names_secret(
    cluster: Cluster, operator: OperatorProcess, https_dms: tuple[SimulatorClient, str]
) -> None:
    dms, ca_pem = https_dms
    org = dms.create_org()
    _, email = dms.create_user(org["id"], ["ORG_ADMIN"])
    tenant = Tenant(dms, org, email, USER_PASSWORD)
    secret = unique("login")
    cluster.create_secret(secret, tenant.credentials())
    name = unique("tls")
    cluster.create(DATABASES, "DMSDatabase", name, spec_for(name, secret))

    condition = cluster.wait_condition(DATABASES, name, "False", "TLSVerificationFailed")
    assert "CA bundle (PEM) under the key ca.crt" in condition["message"]
    assert f"{cluster.namespace}/{secret}" in condition["message"]
    assert 'insecureSkipTLSVerify: "true"' in condition["message"]

    cluster.replace_secret_values(secret, {**tenant.credentials(), "ca.crt": ca_pem})
    cluster.wait_condition(DATABASES, name, "True", "Available")
    assert len(cluster.events(name, "TLSVerificationFailed")) == 1

    cluster.delete(DATABASES, name)
    cluster.wait_gone(DATABASES, name)
    assert tenant.databases(name) == []
