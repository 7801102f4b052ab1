"""The DMSDatabase custom resource: its spec, its status and the defaults of both.

Mirrors `crds/dmsdatabases.dms.tanzu.community.yaml` field by field; the unit test
`tests/unit/test_crd_models.py` fails when the two disagree. The API server enforces
what the schema can state (types, ranges, patterns, immutability through CEL). The
model repeats the per-object checks, so that a spec that reached the operator some
other way still fails with a message naming the field.

Optional fields stay None when absent. The `effective_*` methods return the value
the operator acts on, applying the defaults documented in the CRD descriptions.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from dms_operator.models.common import (
    DNS_SUBDOMAIN_MAX_LENGTH,
    MAX_CONDITIONS,
    Condition,
    DeletionPolicy,
    ObjectReference,
    SecretKeySelector,
    SecretReference,
    SpecModel,
    StatusModel,
    TimeOfDay,
    Uuid,
)

# DMS's rule for instance names (a DNS label that starts with a letter).
INSTANCE_NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
INSTANCE_NAME_MAX_LENGTH = 63
# A template version or a prefix of one: `12`, `12.7`, `12.7.0`.
VERSION_PATTERN = r"^[0-9]+(\.[0-9]+)*$"
# An SQL identifier without quoting, valid in both PostgreSQL and MySQL.
SQL_IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# PostgreSQL truncates identifiers at 63 bytes; MySQL allows 64 for databases.
DATABASE_NAME_MAX_LENGTH = 63
# MySQL 5.7 and later limit user names to 32 characters.
ADMIN_USERNAME_MAX_LENGTH = 32
MAX_DB_OPTIONS = 128
DB_OPTION_VALUE_MAX_LENGTH = 4096
CONNECTION_SECRET_SUFFIX = "-connection"  # noqa: S105 (a name suffix, not a password)

# The maximum metadata.name length for which the default connection Secret name is valid.
MAX_NAME_FOR_DEFAULT_CONNECTION_SECRET = DNS_SUBDOMAIN_MAX_LENGTH - len(CONNECTION_SECRET_SUFFIX)

DEFAULT_ADMIN_USERNAME = "dbadmin"

_INSTANCE_NAME_RE = re.compile(INSTANCE_NAME_PATTERN)


class Engine(enum.StrEnum):
    """The database engine, which selects the DMS template's `serviceType`."""

    POSTGRES = "Postgres"
    MYSQL = "MySQL"

    @property
    def dms_service_type(self) -> str:
        """The template `serviceType` and database `dbType` DMS uses for this engine."""
        return {Engine.POSTGRES: "POSTGRES", Engine.MYSQL: "MYSQL"}[self]

    @property
    def default_port(self) -> int:
        """The engine's usual port, used when `spec.port` is not set."""
        return {Engine.POSTGRES: 5432, Engine.MYSQL: 3306}[self]

    @property
    def binding_type(self) -> str:
        """The servicebinding.io `type` of the connection Secret."""
        return {Engine.POSTGRES: "postgresql", Engine.MYSQL: "mysql"}[self]


class Monitoring(enum.StrEnum):
    """The monitoring level, DMS `dbConfig.monitoringType`."""

    NORMAL = "Normal"
    ENHANCED = "Enhanced"

    @property
    def dms_value(self) -> str:
        """The `monitoringType` value DMS uses."""
        return self.value.upper()


class PowerState(enum.StrEnum):
    """Whether the database VM runs."""

    ON = "On"
    OFF = "Off"


class Weekday(enum.StrEnum):
    """A day of the week, DMS `maintenanceWindowStartDay`."""

    MONDAY = "Monday"
    TUESDAY = "Tuesday"
    WEDNESDAY = "Wednesday"
    THURSDAY = "Thursday"
    FRIDAY = "Friday"
    SATURDAY = "Saturday"
    SUNDAY = "Sunday"

    @property
    def dms_value(self) -> str:
        """The `maintenanceWindowStartDay` value DMS uses, for example `SUNDAY`."""
        return self.value.upper()


class BackupSpec(SpecModel):
    """The automated backup policy, DMS `dbBackupConfig`. Unset fields keep the DMS value."""

    local_retention_days: int | None = Field(default=None, ge=0)
    remote_retention_days: int | None = Field(default=None, ge=0)
    start_time: TimeOfDay | None = None


class MaintenanceWindowSpec(SpecModel):
    """The weekly maintenance window, DMS `dbMaintenanceConfig`. Unset fields keep the DMS value."""

    day: Weekday | None = None
    start_time: TimeOfDay | None = None
    duration_hours: int | None = Field(default=None, ge=1, le=24)
    minor_version_upgrades: bool | None = None


DbOptionValue = Annotated[str, Field(max_length=DB_OPTION_VALUE_MAX_LENGTH)]


class DMSDatabaseSpec(SpecModel):
    """The desired state of one DMS database (service instance)."""

    credentials_secret_ref: SecretReference
    organization_ref: ObjectReference | None = None
    organization_id: Uuid | None = None
    engine: Engine
    version: str = Field(min_length=1, max_length=64, pattern=VERSION_PATTERN)
    instance_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=INSTANCE_NAME_MAX_LENGTH,
        pattern=INSTANCE_NAME_PATTERN,
    )
    environment_id: Uuid | None = None
    data_store_name: str | None = Field(default=None, min_length=1, max_length=255)
    instance_plan: str | None = Field(default=None, min_length=1, max_length=255)
    cpu: int | None = Field(default=None, ge=1)
    memory_gb: int | None = Field(default=None, ge=1, alias="memoryGB")
    storage_gb: int | None = Field(default=None, ge=1, alias="storageGB")
    database_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=DATABASE_NAME_MAX_LENGTH,
        pattern=SQL_IDENTIFIER_PATTERN,
    )
    admin_username: str | None = Field(
        default=None,
        min_length=1,
        max_length=ADMIN_USERNAME_MAX_LENGTH,
        pattern=SQL_IDENTIFIER_PATTERN,
    )
    admin_password_secret_ref: SecretKeySelector | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    monitoring: Monitoring | None = None
    require_client_ssl: bool | None = None
    backup: BackupSpec | None = None
    maintenance_window: MaintenanceWindowSpec | None = None
    db_options: dict[str, DbOptionValue] | None = Field(default=None, max_length=MAX_DB_OPTIONS)
    power_state: PowerState | None = None
    deletion_policy: DeletionPolicy | None = None
    write_connection_secret_to_ref: SecretReference | None = None

    @model_validator(mode="after")
    def _check_exclusive_fields(self) -> Self:
        # The CRD states the same rules in CEL; these repeat them for specs that did
        # not pass through the API server, with the same wording.
        if self.instance_plan is not None and (self.cpu is not None or self.memory_gb is not None):
            raise ValueError(
                "spec.instancePlan and spec.cpu/spec.memoryGB are mutually exclusive; "
                "set either a plan or explicit sizing"
            )
        if self.organization_ref is not None and self.organization_id is not None:
            raise ValueError(
                "spec.organizationRef and spec.organizationId are mutually exclusive; set only one"
            )
        return self

    def effective_instance_name(self, metadata_name: str) -> str:
        """Return the DMS instance name: `spec.instanceName`, else `metadata.name`.

        Raises ValueError when the name comes from `metadata.name` and does not
        follow DMS's instance-name rule (the CRD rejects such objects as well).
        """
        if self.instance_name is not None:
            return self.instance_name
        if len(metadata_name) > INSTANCE_NAME_MAX_LENGTH or not _INSTANCE_NAME_RE.match(
            metadata_name
        ):
            raise ValueError(
                f"metadata.name {metadata_name!r} is not a valid DMS instance name "
                "(1 to 63 lower-case letters, digits and '-', starting with a letter); "
                "set spec.instanceName"
            )
        return metadata_name

    def effective_database_name(self, metadata_name: str) -> str:
        """Return `spec.databaseName`, else the instance name with `-` turned into `_`."""
        if self.database_name is not None:
            return self.database_name
        return self.effective_instance_name(metadata_name).replace("-", "_")

    def effective_admin_username(self) -> str:
        """Return `spec.adminUsername`, else `dbadmin`."""
        return self.admin_username if self.admin_username is not None else DEFAULT_ADMIN_USERNAME

    def effective_port(self) -> int:
        """Return `spec.port`, else the engine's usual port (5432 or 3306)."""
        return self.port if self.port is not None else self.engine.default_port

    def effective_monitoring(self) -> Monitoring:
        """Return `spec.monitoring`, else `Normal`."""
        return self.monitoring if self.monitoring is not None else Monitoring.NORMAL

    def effective_require_client_ssl(self) -> bool:
        """Return `spec.requireClientSsl`, else False."""
        return self.require_client_ssl if self.require_client_ssl is not None else False

    def effective_power_state(self) -> PowerState:
        """Return `spec.powerState`, else `On`."""
        return self.power_state if self.power_state is not None else PowerState.ON

    def effective_deletion_policy(self) -> DeletionPolicy:
        """Return `spec.deletionPolicy`, else `Retain`."""
        if self.deletion_policy is not None:
            return self.deletion_policy
        return DeletionPolicy.RETAIN

    def effective_db_options(self) -> dict[str, str]:
        """Return `spec.dbOptions`, else an empty dict."""
        return dict(self.db_options) if self.db_options is not None else {}

    def effective_connection_secret_name(self, metadata_name: str) -> str:
        """Return `spec.writeConnectionSecretToRef.name`, else `<metadata.name>-connection`.

        Raises ValueError when the default name would be too long for a Secret name
        (the CRD rejects such objects as well).
        """
        if self.write_connection_secret_to_ref is not None:
            return self.write_connection_secret_to_ref.name
        if len(metadata_name) > MAX_NAME_FOR_DEFAULT_CONNECTION_SECRET:
            raise ValueError(
                f"metadata.name is longer than {MAX_NAME_FOR_DEFAULT_CONNECTION_SECRET} "
                "characters, too long for the default connection Secret name; "
                "set spec.writeConnectionSecretToRef.name"
            )
        return f"{metadata_name}{CONNECTION_SECRET_SUFFIX}"


class TaskStatus(StatusModel):
    """A DMS task in progress on the database."""

    id: str
    type: str
    percent: int | None = Field(default=None, ge=0, le=100)


class EndpointStatus(StatusModel):
    """The host and port that clients connect to."""

    host: str
    port: int = Field(ge=1, le=65535)


class BindingStatus(StatusModel):
    """The servicebinding.io provisioned-service reference: the connection Secret."""

    name: str


class DMSDatabaseStatus(StatusModel):
    """The observed state of a DMSDatabase, written to the status subresource."""

    observed_generation: int | None = Field(default=None, ge=0)
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    id: str | None = None
    organization_id: str | None = None
    dms_status: str | None = None
    task: TaskStatus | None = None
    endpoint: EndpointStatus | None = None
    binding: BindingStatus | None = None
    last_sync_time: datetime | None = None
