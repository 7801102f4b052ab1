"""DMSOrganization end to end: the organization and its admin user are created, the admin
credentials Secret works for a DMSDatabase, updates reach DMS, deletion retains."""

from __future__ import annotations

from typing import Any

import pytest

from dms_testenv.simulator import SimulatorClient
from tests.integration.conftest import PROVIDER_EMAIL, PROVIDER_PASSWORD
from tests.integration.operator_env import (
    DATABASES,
    ORGANIZATIONS,
    Cluster,
    OperatorProcess,
    Tenant,
    unique,
    wait_for,
)

pytestmark = [pytest.mark.kube, pytest.mark.databases, pytest.mark.slow]


def provider_org(dms: SimulatorClient, org_id: str) -> dict[str, Any]:
    response = dms.call("GET", f"/orgs/{org_id}", dms.provider())
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_organization_admin_and_database(
    cluster: Cluster, operator: OperatorProcess, dms: SimulatorClient
) -> None:
    provider = unique("provider")
    cluster.create_secret(
        provider,
        {"endpoint": dms.base_url, "username": PROVIDER_EMAIL, "password": PROVIDER_PASSWORD},
    )
    name = unique("acme")
    admin_email = f"{unique('admin')}@acme.example"
    admin_secret = f"{name}-admin"
    spec = {
        "credentialsSecretRef": {"name": provider},
        "email": "dba@acme.example",
        "adminUser": {
            "email": admin_email,
            "firstName": "Acme",
            "lastName": "Admin",
            "credentialsSecretName": admin_secret,
        },
    }
    cluster.create(ORGANIZATIONS, "DMSOrganization", name, spec)

    cluster.wait_condition(ORGANIZATIONS, name, "True", "Available")
    status = (cluster.get(ORGANIZATIONS, name) or {})["status"]
    org_id = status["id"]
    assert status["companyName"] == name
    assert status["instanceMode"] == "Free"
    assert isinstance(status["adminUserId"], int)
    assert provider_org(dms, org_id)["companyName"] == name

    values = cluster.secret_values(admin_secret)
    assert values["endpoint"] == dms.base_url
    assert values["username"] == admin_email
    session = dms.login(admin_email, values["password"])
    assert session.org_id == org_id

    database = unique("orgdb")
    database_spec = {
        "credentialsSecretRef": {"name": admin_secret},
        "organizationRef": {"name": name},
        "engine": "Postgres",
        "version": "12",
        "adminUsername": "u_" + database.replace("-", "_"),
        "deletionPolicy": "Delete",
    }
    cluster.create(DATABASES, "DMSDatabase", database, database_spec)
    cluster.wait_condition(DATABASES, database, "True", "Available")
    database_status = (cluster.get(DATABASES, database) or {})["status"]
    assert database_status["organizationId"] == org_id
    tenant = Tenant(dms, {"id": org_id}, admin_email, values["password"])
    assert [item["id"] for item in tenant.databases(database)] == [database_status["id"]]

    cluster.patch(ORGANIZATIONS, name, {"spec": {"email": "ops@acme.example"}})
    wait_for(
        lambda: provider_org(dms, org_id)["email"],
        lambda email: email == "ops@acme.example",
        "the new email to reach DMS",
    )

    cluster.delete(DATABASES, database)
    cluster.wait_gone(DATABASES, database)
    cluster.delete(ORGANIZATIONS, name)
    cluster.wait_gone(ORGANIZATIONS, name)
    assert provider_org(dms, org_id)["id"] == org_id
    assert cluster.events(name, "OrganizationRetained")
    assert cluster.secret(admin_secret) is not None
    operator.assert_no_secret_in_log(values["password"], PROVIDER_PASSWORD)


def test_existing_organization_refused(
    cluster: Cluster, operator: OperatorProcess, dms: SimulatorClient
) -> None:
    provider = unique("provider")
    cluster.create_secret(
        provider,
        {"endpoint": dms.base_url, "username": PROVIDER_EMAIL, "password": PROVIDER_PASSWORD},
    )
    existing = dms.create_org()
    name = unique("taken")
    spec = {
        "credentialsSecretRef": {"name": provider},
        "companyName": existing["companyName"],
        "email": "dba@taken.example",
    }
    cluster.create(ORGANIZATIONS, "DMSOrganization", name, spec)

    condition = cluster.wait_condition(ORGANIZATIONS, name, "False", "NameConflict")
    assert existing["id"] in condition["message"]
    cluster.delete(ORGANIZATIONS, name)
    cluster.wait_gone(ORGANIZATIONS, name)
