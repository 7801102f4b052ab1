"""DMSOrganization spec parsing, defaults and validation messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dms_operator.models.common import describe_validation_error
from dms_operator.models.organization import (
    DMSOrganizationSpec,
    DMSOrganizationStatus,
    InstanceMode,
    OrganizationDeletionPolicy,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE = EXAMPLES / "organization.yaml"
CREDENTIALS_EXAMPLE = EXAMPLES / "provider-credentials.yaml"
MINIMAL: dict[str, Any] = {
    "credentialsSecretRef": {"name": "dms-provider-admin"},
    "email": "dba-team@acme.example",
}


def error_for(**fields: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        DMSOrganizationSpec.model_validate({**MINIMAL, **fields})
    return describe_validation_error(raised.value)


def test_example_parses() -> None:
    documents = [doc for doc in yaml.safe_load_all(EXAMPLE.read_text()) if doc]
    (organization,) = [doc for doc in documents if doc["kind"] == "DMSOrganization"]
    assert [doc["kind"] for doc in documents] == ["DMSOrganization"]
    (secret,) = [doc for doc in yaml.safe_load_all(CREDENTIALS_EXAMPLE.read_text()) if doc]

    spec = DMSOrganizationSpec.model_validate(organization["spec"])

    assert spec.credentials_secret_ref.name == secret["metadata"]["name"]
    assert spec.admin_user is not None
    assert spec.admin_user.credentials_secret_name == "acme-dms-admin"
    assert set(secret["stringData"]) >= {"endpoint", "username", "password"}


def test_minimal_spec_defaults() -> None:
    spec = DMSOrganizationSpec.model_validate(MINIMAL)

    assert spec.effective_company_name("acme") == "acme"
    assert spec.effective_instance_mode() is InstanceMode.FREE
    assert spec.effective_deletion_policy() is OrganizationDeletionPolicy.RETAIN
    assert spec.admin_user is None


def test_explicit_values_win_over_defaults() -> None:
    spec = DMSOrganizationSpec.model_validate(
        {**MINIMAL, "companyName": "Acme Corp", "instanceMode": "Plans"}
    )

    assert spec.effective_company_name("acme") == "Acme Corp"
    assert spec.effective_instance_mode() is InstanceMode.PLANS


def test_instance_mode_dms_values() -> None:
    assert InstanceMode.FREE.dms_value == "FREE_MODE"
    assert InstanceMode.PLANS.dms_value == "PLANS_MODE"
    assert InstanceMode.from_dms_value("PLANS_MODE") is InstanceMode.PLANS
    with pytest.raises(ValueError, match="unknown DMS instanceMode 'OTHER'"):
        InstanceMode.from_dms_value("OTHER")


@pytest.mark.parametrize(
    ("fields", "expected_prefix"),
    [
        ({"email": "not-an-address"}, "spec.email: String should match pattern"),
        ({"instanceMode": "FREE_MODE"}, "spec.instanceMode: Input should be 'Free' or 'Plans'"),
        ({"deletionPolicy": "Delete"}, "spec.deletionPolicy: Input should be 'Retain'"),
        ({"dbFqdnSuffix": "Example.COM"}, "spec.dbFqdnSuffix: String should match pattern"),
        (
            {"adminUser": {"email": "a@b.c", "firstName": "A", "lastName": "B"}},
            "spec.adminUser.credentialsSecretName: Field required",
        ),
        ({"ldap": {}}, "spec.ldap: Extra inputs are not permitted"),
    ],
)
def test_invalid_spec_message_names_field(fields: dict[str, Any], expected_prefix: str) -> None:
    message = error_for(**fields)

    assert message.startswith(expected_prefix), message


def test_status_patch() -> None:
    status = DMSOrganizationStatus(
        id="org-1", company_name="Acme", instance_mode=InstanceMode.FREE, admin_user_id=7
    )

    patch = status.to_patch()

    assert patch["companyName"] == "Acme"
    assert patch["instanceMode"] == "Free"
    assert patch["adminUserId"] == 7
    assert patch["lastSyncTime"] is None
