"""Pydantic models of the DMS REST API payloads that the operator sends and reads.

The wire format is fixed by `docs/dms-api.md`. This module contains the session,
organization, user, instance plan, template and environment payloads, and re-exports
the shared base (`dms_base`) and the database, backup and task payloads
(`dms_databases`), so callers import every DMS model from here.

Values that DMS may extend (statuses, roles in responses) are plain `str`; the
`StrEnum` classes list the values the operator acts on and compare equal to those
strings.
"""

from enum import StrEnum
from typing import Literal

from pydantic import Field

from dms_operator.models.dms_base import (
    REVEAL_SECRETS,
    DbOption,
    DMSModel,
    Page,
    PageMetadata,
    WireSecret,
)
from dms_operator.models.dms_databases import (
    Backup,
    BackupConfig,
    CreateDatabaseRequest,
    Database,
    DatabaseEnvironment,
    DatabaseStatus,
    DatabaseSummary,
    DbConfig,
    DbInstanceConfig,
    HwConfig,
    MaintenanceConfig,
    ProvisioningConfig,
    ScaleRequest,
    Task,
    TaskDbDetails,
    TaskErrorInfo,
    TaskRef,
    TaskState,
    TaskStatus,
    TaskTarget,
)

# Sessions


class OrgRole(StrEnum):
    """User roles of DMS 1.x."""

    PROVIDER = "PROVIDER"
    ORG_ADMIN = "ORG_ADMIN"
    ORG_USER = "ORG_USER"


class OrgMembership(DMSModel):
    """One organization the logged-in user belongs to, with the user's roles there."""

    org_id: str
    company_name: str = ""
    email: str = ""
    user_roles: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)


class UserSessionInfo(DMSModel):
    """Body of the login and renewal responses."""

    first_name: str = ""
    last_name: str = ""
    contact_number: str | None = None
    email: str = ""
    type: str = ""
    org_memberships: list[OrgMembership] = Field(default_factory=list)


# Organizations and users


InstanceMode = Literal["FREE_MODE", "PLANS_MODE"]


class Tenant(DMSModel):
    """A DMS organization (`TenantDTO`)."""

    id: str
    company_name: str
    email: str = ""
    instance_mode: str = ""
    deleted: bool = False
    org_type: str = ""
    db_fqdn_suffix: str | None = None


class OrgCreate(DMSModel):
    """Body of `POST /orgs`."""

    company_name: str
    email: str
    instance_mode: InstanceMode = "FREE_MODE"
    db_fqdn_suffix: str | None = None


class OrgUpdate(DMSModel):
    """Body of `PUT /orgs/{id}`; fields left `None` are not sent and stay unchanged."""

    company_name: str | None = None
    email: str | None = None
    instance_mode: InstanceMode | None = None
    db_fqdn_suffix: str | None = None


class User(DMSModel):
    """A DMS user (`dmsUserResponseDto`). User ids are integers, unlike every other id."""

    id: int
    first_name: str = ""
    last_name: str = ""
    contact_number: str | None = None
    email: str
    tenant_id: str | None = None
    company_name: str | None = None
    roles: list[str] = Field(default_factory=list)
    type: str = ""


class UserCreate(DMSModel):
    """Body of `POST /users`."""

    first_name: str
    last_name: str
    contact_number: str | None = None
    email: str
    password: WireSecret
    tenant_id: str | None = None
    roles: list[Literal["PROVIDER", "ORG_ADMIN", "ORG_USER"]]


# Instance plans and templates


class InstancePlanCreate(DMSModel):
    """Body of `POST /instancetype`; `memory` is in GB."""

    name: str
    cpu: int
    memory: int


class InstancePlan(InstancePlanCreate):
    """An instance plan (`InstanceTypeDTO`), also the body of `PUT /instancetype`."""

    id: str
    deleted: bool = False


class CpuDefaults(DMSModel):
    """CPU bounds of a template."""

    min: int | None = None
    max: int | None = None
    default_cpu: int | None = Field(default=None, alias="defaultCPU")


class MemoryDefaults(DMSModel):
    """Memory bounds of a template, in `unit` (GB)."""

    min: int | None = None
    max: int | None = None
    default_memory: int | None = None
    unit: str = "GB"


class DiskDefaults(DMSModel):
    """Disk bounds of a template, in `unit` (GB)."""

    min: int | None = None
    max: int | None = None
    default_disk: int | None = None
    unit: str = "GB"


class SystemDefaults(DMSModel):
    """Sizing bounds and defaults of a template."""

    cpu: CpuDefaults | None = None
    memory: MemoryDefaults | None = None
    disk: DiskDefaults | None = None


class TemplateStatus(StrEnum):
    """Template statuses the operator acts on."""

    PUBLISHED = "PUBLISHED"


class Template(DMSModel):
    """An engine version a database can be created from (`templateId` = `logical_build_id`)."""

    logical_build_id: str
    service_type: str
    version: str
    status: str = ""
    system_defaults: SystemDefaults | None = None
    db_options: list[DbOption] = Field(default_factory=list)

    @property
    def is_published(self) -> bool:
        """Whether databases may be created from this template."""
        return self.status == TemplateStatus.PUBLISHED


# Environments


class Datastore(DMSModel):
    """A vSphere datastore of an environment."""

    mor: str = ""
    datastore_name: str
    is_default: bool = False


class DatastoreList(DMSModel):
    """The `{"list": [...]}` wrapper DMS puts around datastores."""

    items: list[Datastore] = Field(default_factory=list, alias="list")


class Environment(DMSModel):
    """An onboarded vSphere cluster that databases of an org can be placed on."""

    id: str
    name: str = ""
    tenant_id: str | None = None
    vc_host: str | None = None
    vc_cluster_name: str | None = None
    vc_vm_datastores: DatastoreList | None = None

    @property
    def datastores(self) -> tuple[Datastore, ...]:
        """The environment's datastores, empty when DMS sent none."""
        return tuple(self.vc_vm_datastores.items) if self.vc_vm_datastores else ()

    def default_datastore(self) -> Datastore | None:
        """Return the datastore marked default, else the only one, else `None`."""
        for datastore in self.datastores:
            if datastore.is_default:
                return datastore
        if len(self.datastores) == 1:
            return self.datastores[0]
        return None


__all__ = [
    "REVEAL_SECRETS",
    "Backup",
    "BackupConfig",
    "CpuDefaults",
    "CreateDatabaseRequest",
    "DMSModel",
    "Database",
    "DatabaseEnvironment",
    "DatabaseStatus",
    "DatabaseSummary",
    "Datastore",
    "DatastoreList",
    "DbConfig",
    "DbInstanceConfig",
    "DbOption",
    "DiskDefaults",
    "Environment",
    "HwConfig",
    "InstanceMode",
    "InstancePlan",
    "InstancePlanCreate",
    "MaintenanceConfig",
    "MemoryDefaults",
    "OrgCreate",
    "OrgMembership",
    "OrgRole",
    "OrgUpdate",
    "Page",
    "PageMetadata",
    "ProvisioningConfig",
    "ScaleRequest",
    "SystemDefaults",
    "Task",
    "TaskDbDetails",
    "TaskErrorInfo",
    "TaskRef",
    "TaskState",
    "TaskStatus",
    "TaskTarget",
    "Template",
    "TemplateStatus",
    "Tenant",
    "User",
    "UserCreate",
    "UserSessionInfo",
    "WireSecret",
]
