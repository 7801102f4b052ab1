"""The DMSOrganization custom resource: its spec, its status and the defaults of both.

Mirrors `crds/dmsorganizations.dms.tanzu.community.yaml` field by field; the unit
test `tests/unit/test_crd_models.py` fails when the two disagree. The `effective_*`
methods return the value the operator acts on, applying the documented defaults.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field

from dms_operator.models.common import (
    DNS_SUBDOMAIN_MAX_LENGTH,
    DNS_SUBDOMAIN_PATTERN,
    MAX_CONDITIONS,
    Condition,
    ObjectName,
    SecretReference,
    SpecModel,
    StatusModel,
)

# Loose on purpose: DMS checks the address; the schema only rules out obvious mistakes.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
# RFC 5321 limits a forward path, and so an address, to 254 characters.
EMAIL_MAX_LENGTH = 254
COMPANY_NAME_MAX_LENGTH = 255
PERSON_NAME_MAX_LENGTH = 255


class InstanceMode(enum.StrEnum):
    """The sizing mode of the organization's databases, DMS `instanceMode`."""

    FREE = "Free"
    PLANS = "Plans"

    @property
    def dms_value(self) -> str:
        """The `instanceMode` value DMS uses: `FREE_MODE` or `PLANS_MODE`."""
        return {InstanceMode.FREE: "FREE_MODE", InstanceMode.PLANS: "PLANS_MODE"}[self]

    @classmethod
    def from_dms_value(cls, value: str) -> InstanceMode:
        """Return the mode for a DMS `instanceMode` value; raise ValueError for others."""
        for mode in cls:
            if mode.dms_value == value:
                return mode
        raise ValueError(f"unknown DMS instanceMode {value!r}")


class OrganizationDeletionPolicy(enum.StrEnum):
    """The deletion policy of a DMSOrganization: only Retain, as DMS cannot delete organizations."""

    RETAIN = "Retain"


class AdminUserSpec(SpecModel):
    """An ORG_ADMIN user that the operator creates in the organization."""

    email: str = Field(min_length=3, max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN)
    first_name: str = Field(min_length=1, max_length=PERSON_NAME_MAX_LENGTH)
    last_name: str = Field(min_length=1, max_length=PERSON_NAME_MAX_LENGTH)
    credentials_secret_name: ObjectName


class DMSOrganizationSpec(SpecModel):
    """The desired state of one DMS organization (tenant)."""

    credentials_secret_ref: SecretReference
    company_name: str | None = Field(default=None, min_length=1, max_length=COMPANY_NAME_MAX_LENGTH)
    email: str = Field(min_length=3, max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN)
    instance_mode: InstanceMode | None = None
    db_fqdn_suffix: str | None = Field(
        default=None,
        min_length=1,
        max_length=DNS_SUBDOMAIN_MAX_LENGTH,
        pattern=DNS_SUBDOMAIN_PATTERN,
    )
    admin_user: AdminUserSpec | None = None
    deletion_policy: OrganizationDeletionPolicy | None = None

    def effective_company_name(self, metadata_name: str) -> str:
        """Return `spec.companyName`, else `metadata.name`."""
        return self.company_name if self.company_name is not None else metadata_name

    def effective_instance_mode(self) -> InstanceMode:
        """Return `spec.instanceMode`, else `Free`."""
        return self.instance_mode if self.instance_mode is not None else InstanceMode.FREE

    def effective_deletion_policy(self) -> OrganizationDeletionPolicy:
        """Return `Retain`, the only policy DMS allows for organizations."""
        return OrganizationDeletionPolicy.RETAIN


class DMSOrganizationStatus(StatusModel):
    """The observed state of a DMSOrganization, written to the status subresource."""

    observed_generation: int | None = Field(default=None, ge=0)
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    id: str | None = None
    company_name: str | None = None
    instance_mode: InstanceMode | None = None
    admin_user_id: int | None = None
    last_sync_time: datetime | None = None
