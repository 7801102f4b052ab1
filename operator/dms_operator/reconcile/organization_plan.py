"""Pure decisions of the DMSOrganization reconcile: adoption, updates, the admin user and
the content of its credentials Secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dms_operator.models.common import (
    ADOPT_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    ORGANIZATION_LABEL,
)
from dms_operator.models.conditions import Reason
from dms_operator.models.credentials import (
    CA_KEY,
    ENDPOINT_KEY,
    INSECURE_KEY,
    PASSWORD_KEY,
    USERNAME_KEY,
    DMSCredentials,
)
from dms_operator.models.dms import OrgCreate, OrgUpdate, Tenant, User
from dms_operator.models.organization import DMSOrganizationSpec
from dms_operator.reconcile.connection_secret import decode, encode
from dms_operator.reconcile.outcomes import permanent


@dataclass(frozen=True)
class OrganizationIntent:
    """The DMSOrganization resource as the reconcile needs it."""

    namespace: str
    name: str
    uid: str
    generation: int
    spec: DMSOrganizationSpec
    company_name: str
    paused: bool = False
    adopt: bool = False
    create_requested: bool = False
    recorded_id: str | None = None


def check_adoption(intent: OrganizationIntent, tenant: Tenant) -> None:
    """Raise unless an organization found by name may become this resource's."""
    if intent.recorded_id is not None or intent.create_requested or intent.adopt:
        return
    raise permanent(
        Reason.NAME_CONFLICT,
        f"DMS already has an organization named {tenant.company_name!r} (id {tenant.id}) that "
        f'this resource did not create; set the annotation {ADOPT_ANNOTATION}: "true" to adopt '
        "it, or choose another spec.companyName",
    )


def find_by_company_name(tenants: Sequence[Tenant], company_name: str) -> Tenant | None:
    """Return the live organization named `company_name` (DMS names are unique)."""
    for tenant in tenants:
        if not tenant.deleted and tenant.company_name == company_name:
            return tenant
    return None


def create_request(intent: OrganizationIntent) -> OrgCreate:
    """Return the DMS request that creates the organization."""
    spec = intent.spec
    return OrgCreate(
        company_name=intent.company_name,
        email=spec.email,
        instance_mode="PLANS_MODE"
        if spec.effective_instance_mode().dms_value == "PLANS_MODE"
        else "FREE_MODE",
        db_fqdn_suffix=spec.db_fqdn_suffix,
    )


def update_request(intent: OrganizationIntent, tenant: Tenant) -> OrgUpdate | None:
    """Return the update with only the fields that differ from DMS, or None."""
    spec = intent.spec
    wanted_mode = spec.effective_instance_mode().dms_value
    changes: dict[str, Any] = {}
    if tenant.company_name != intent.company_name:
        changes["company_name"] = intent.company_name
    if tenant.email != spec.email:
        changes["email"] = spec.email
    if tenant.instance_mode != wanted_mode:
        changes["instance_mode"] = wanted_mode
    if spec.db_fqdn_suffix is not None and tenant.db_fqdn_suffix != spec.db_fqdn_suffix:
        changes["db_fqdn_suffix"] = spec.db_fqdn_suffix
    if not changes:
        return None
    return OrgUpdate(**changes)


def changed_org_fields(update: OrgUpdate) -> list[str]:
    """Name the spec fields an update changes, for Events."""
    names = {
        "company_name": "spec.companyName",
        "email": "spec.email",
        "instance_mode": "spec.instanceMode",
        "db_fqdn_suffix": "spec.dbFqdnSuffix",
    }
    return [label for attribute, label in names.items() if getattr(update, attribute) is not None]


@dataclass(frozen=True)
class AdminSecret:
    """The admin user's credentials Secret as it should be."""

    body: dict[str, Any] = field(repr=False)


def admin_secret_body(
    intent: OrganizationIntent,
    secret_name: str,
    email: str,
    password: str,
    provider: DMSCredentials,
    provider_data: Mapping[str, str],
) -> dict[str, Any]:
    """Return the Secret that lets DMSDatabases log in as the organization's admin user.

    `endpoint`, `ca.crt` and `insecureSkipTLSVerify` are copied from the provider's
    credentials Secret, so both logins reach DMS the same way.
    """
    data = {ENDPOINT_KEY: provider.endpoint, USERNAME_KEY: email, PASSWORD_KEY: password}
    provider_values = decode(provider_data)
    if provider_values.get(CA_KEY):
        data[CA_KEY] = provider_values[CA_KEY]
    if provider_values.get(INSECURE_KEY):
        data[INSECURE_KEY] = provider_values[INSECURE_KEY]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name,
            "namespace": intent.namespace,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE, ORGANIZATION_LABEL: intent.name},
        },
        "type": "Opaque",
        "data": encode(data),
    }


def is_own_admin_secret(secret: Mapping[str, Any] | None, intent: OrganizationIntent) -> bool:
    """Return whether the Secret was written by the operator for this DMSOrganization."""
    if secret is None:
        return False
    labels = (secret.get("metadata") or {}).get("labels") or {}
    return bool(
        labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE
        and labels.get(ORGANIZATION_LABEL) == intent.name
    )


def admin_user_problem(intent: OrganizationIntent, org_id: str, users: Sequence[User]) -> None:
    """Raise when the admin email belongs to a user the operator cannot take over."""
    admin = intent.spec.admin_user
    if admin is None:
        return
    for user in users:
        if user.email.lower() != admin.email.lower():
            continue
        if user.tenant_id not in (None, org_id):
            raise permanent(
                Reason.NAME_CONFLICT,
                f"spec.adminUser.email {admin.email} is a DMS user of another organization "
                f"({user.tenant_id}); choose another email",
            )


def name_differences(intent: OrganizationIntent, user: User) -> list[str]:
    """Return messages for admin user names that differ from the spec (DMS cannot rename)."""
    admin = intent.spec.admin_user
    if admin is None:
        return []
    messages = []
    if user.first_name != admin.first_name or user.last_name != admin.last_name:
        messages.append(
            f"DMS user {admin.email} is named {user.first_name} {user.last_name}; DMS has no "
            "API to rename users, so spec.adminUser.firstName and lastName are applied only "
            "when the user is created"
        )
    return messages
