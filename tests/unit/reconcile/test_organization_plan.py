"""The pure DMSOrganization decisions: adoption, updates, the admin user's Secret."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import SecretStr

from dms_operator.models.credentials import DMSCredentials
from dms_operator.models.dms import Tenant, User
from dms_operator.models.organization import DMSOrganizationSpec
from dms_operator.reconcile.organization_plan import (
    OrganizationIntent,
    admin_secret_body,
    admin_user_problem,
    changed_org_fields,
    check_adoption,
    create_request,
    is_own_admin_secret,
    name_differences,
    update_request,
)
from dms_operator.reconcile.outcomes import Problem

ADMIN = {
    "email": "admin@acme.example",
    "firstName": "Acme",
    "lastName": "Admin",
    "credentialsSecretName": "acme-admin",
}


def intent(**fields: Any) -> OrganizationIntent:
    spec_fields: dict[str, Any] = {
        "credentialsSecretRef": {"name": "provider"},
        "email": "dba@acme.example",
        "adminUser": ADMIN,
    }
    spec_fields.update(fields.pop("spec", {}))
    spec = DMSOrganizationSpec.model_validate(spec_fields)
    values: dict[str, Any] = {
        "namespace": "default",
        "name": "acme",
        "uid": "uid-1",
        "generation": 1,
        "spec": spec,
        "company_name": spec.effective_company_name("acme"),
    }
    values.update(fields)
    return OrganizationIntent(**values)


def tenant(**fields: Any) -> Tenant:
    values: dict[str, Any] = {
        "id": "org-1",
        "company_name": "acme",
        "email": "dba@acme.example",
        "instance_mode": "FREE_MODE",
    }
    values.update(fields)
    return Tenant(**values)


def test_create_request_defaults() -> None:
    request = create_request(intent())

    assert request.to_wire() == {
        "companyName": "acme",
        "email": "dba@acme.example",
        "instanceMode": "FREE_MODE",
    }


def test_plans_mode_request() -> None:
    request = create_request(intent(spec={"instanceMode": "Plans", "dbFqdnSuffix": "acme.example"}))

    assert request.instance_mode == "PLANS_MODE"
    assert request.db_fqdn_suffix == "acme.example"


def test_matching_org_needs_no_update() -> None:
    assert update_request(intent(), tenant()) is None


def test_update_contains_only_changes() -> None:
    update = update_request(
        intent(spec={"email": "ops@acme.example", "instanceMode": "Plans"}), tenant()
    )

    assert update is not None
    assert update.to_wire() == {"email": "ops@acme.example", "instanceMode": "PLANS_MODE"}
    assert changed_org_fields(update) == ["spec.email", "spec.instanceMode"]


def test_rename_is_an_update() -> None:
    update = update_request(
        intent(spec={"companyName": "Acme Inc"}, company_name="Acme Inc"), tenant()
    )

    assert update is not None
    assert update.company_name == "Acme Inc"


def test_foreign_org_refused() -> None:
    with pytest.raises(Problem) as raised:
        check_adoption(intent(), tenant())

    assert raised.value.reason == "NameConflict"
    assert "org-1" in raised.value.message


@pytest.mark.parametrize(
    "fields", [{"create_requested": True}, {"adopt": True}, {"recorded_id": "org-1"}]
)
def test_own_org_adopted(fields: dict[str, Any]) -> None:
    check_adoption(intent(**fields), tenant())


def test_admin_secret_copies_endpoint_and_tls() -> None:
    provider = DMSCredentials(
        endpoint="https://dms.example", username="p@x", password=SecretStr("P4ss!word")
    )
    provider_data = {
        "ca.crt": base64.b64encode(b"PEM").decode(),
        "insecureSkipTLSVerify": base64.b64encode(b"true").decode(),
    }

    body = admin_secret_body(
        intent(), "acme-admin", "admin@acme.example", "Secret12!", provider, provider_data
    )

    values = {key: base64.b64decode(value).decode() for key, value in body["data"].items()}
    assert values == {
        "endpoint": "https://dms.example",
        "username": "admin@acme.example",
        "password": "Secret12!",
        "ca.crt": "PEM",
        "insecureSkipTLSVerify": "true",
    }
    assert "ownerReferences" not in body["metadata"]
    assert is_own_admin_secret(body, intent()) is True
    assert is_own_admin_secret({"metadata": {"labels": {}}}, intent()) is False


def test_admin_email_in_other_org_refused() -> None:
    other = User(id=5, email="admin@acme.example", tenant_id="org-9")

    with pytest.raises(Problem) as raised:
        admin_user_problem(intent(), "org-1", [other])

    assert raised.value.reason == "NameConflict"


def test_admin_in_own_org_accepted() -> None:
    admin_user_problem(
        intent(), "org-1", [User(id=5, email="admin@acme.example", tenant_id="org-1")]
    )


def test_renamed_admin_is_unsupported() -> None:
    user = User(id=5, email="admin@acme.example", first_name="Old", last_name="Name")

    assert len(name_differences(intent(), user)) == 1
    assert (
        name_differences(intent(), User(id=5, email="a", first_name="Acme", last_name="Admin"))
        == []
    )
