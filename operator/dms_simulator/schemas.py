"""Request bodies, as pydantic models. They give FastAPI's OpenAPI schema and
the field checks whose errors `errors.py` turns into DMS's 400 body. Unknown
fields are ignored, as a Spring (Jackson) service ignores them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dms_simulator.passwords import PASSWORD_RULE, password_is_valid

InstanceMode = Literal["FREE_MODE", "PLANS_MODE"]
Role = Literal["PROVIDER", "ORG_ADMIN", "ORG_USER"]
MonitoringType = Literal["NORMAL", "ENHANCED"]
WeekDay = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DNS_SUFFIX = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_INSTANCE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_ADMIN_USER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


def _check_password(value: str) -> str:
    if not password_is_valid(value):
        raise ValueError(PASSWORD_RULE)
    return value


class LoginRequest(Body):
    email: str
    password: str


class OrgCreateRequest(Body):
    companyName: str = Field(min_length=1, max_length=255)
    email: str = Field(max_length=255)
    instanceMode: InstanceMode
    dbFqdnSuffix: str | None = Field(None, max_length=253)

    _email = field_validator("email")(_check_email)

    @field_validator("dbFqdnSuffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and not _DNS_SUFFIX.match(value):
            raise ValueError("must be a lower-case DNS name such as db.example.com")
        return value


class OrgUpdateRequest(Body):
    companyName: str | None = Field(None, min_length=1, max_length=255)
    email: str | None = Field(None, max_length=255)
    instanceMode: InstanceMode | None = None
    dbFqdnSuffix: str | None = Field(None, max_length=253)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _check_email(value)

    @field_validator("dbFqdnSuffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        return OrgCreateRequest._suffix(value)


class UserCreateRequest(Body):
    firstName: str = Field(min_length=1, max_length=255)
    lastName: str = Field(min_length=1, max_length=255)
    contactNumber: str | None = Field(None, max_length=64)
    email: str = Field(max_length=255)
    password: str = Field(json_schema_extra={"format": "password"})
    tenantId: str | None = None
    roles: list[Role] = Field(min_length=1)

    _email = field_validator("email")(_check_email)
    _password = field_validator("password")(_check_password)


class PlanCreateRequest(Body):
    name: str = Field(min_length=1, max_length=255)
    cpu: int = Field(ge=1, le=1024)
    memory: int = Field(ge=1, le=16384, description="GB")


class PlanUpdateRequest(PlanCreateRequest):
    id: str


class HwConfigRequest(Body):
    cpuCores: int | None = Field(None, ge=1)
    memoryGB: int | None = Field(None, ge=1)
    hdDiskSizeGB: int | None = Field(None, ge=1)
    instancePlanId: str | None = None
    thinDisk: bool | None = None


class ProvisioningConfigRequest(Body):
    type: Literal["SINGLE_NODE"] = "SINGLE_NODE"
    hwConfig: HwConfigRequest | None = None


class DbConfigRequest(Body):
    dbName: str
    port: int | None = Field(None, ge=1, le=65535)
    adminUser: str
    adminPassword: str = Field(json_schema_extra={"format": "password"})
    replicationUser: str | None = None
    replicationPassword: str | None = Field(None, json_schema_extra={"format": "password"})
    rootPassword: str | None = Field(None, json_schema_extra={"format": "password"})
    monitoringType: MonitoringType

    _password = field_validator("adminPassword")(_check_password)

    @field_validator("dbName")
    @classmethod
    def _db_name(cls, value: str) -> str:
        if not _DB_NAME.match(value):
            raise ValueError(
                "must be 1 to 63 characters from letters, digits and _, starting with a letter"
            )
        return value

    @field_validator("adminUser")
    @classmethod
    def _admin_user(cls, value: str) -> str:
        if not _ADMIN_USER.match(value):
            raise ValueError(
                "must be 1 to 32 characters from letters, digits and _, starting with a letter"
            )
        return value


class BackupConfigRequest(Body):
    numLocalBackupDays: int | None = Field(None, ge=0, le=365)
    numRemoteBackupDays: int | None = Field(None, ge=0, le=3650)
    automatedBackupStartTime: str | None = Field(None, pattern=_TIME_OF_DAY)


class MaintenanceConfigRequest(Body):
    maintenanceWindowStartDay: WeekDay | None = None
    maintenanceWindowStartTime: str | None = Field(None, pattern=_TIME_OF_DAY)
    # DMS 1.0 sends the duration (hours) as a string; the detail returns a number.
    maintenanceWindowDuration: int | None = Field(None, ge=1, le=24)
    minorVersionUpgradeEnabled: bool | None = None
    maintenanceWindowSelected: bool | None = None


class DbOptionRequest(Body):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    key: str = Field(min_length=1, max_length=255)
    value: str = Field(max_length=4096)


class CreateDbRequest(Body):
    environmentId: str
    templateId: str
    instanceName: str
    dataStoreName: str
    provisioningConfig: ProvisioningConfigRequest | None = None
    dbConfig: DbConfigRequest
    dbBackupConfig: BackupConfigRequest | None = None
    dbMaintenanceConfig: MaintenanceConfigRequest | None = None
    enableProtection: bool = False
    requireClientSsl: bool = False
    dbOptions: list[DbOptionRequest] = []

    @field_validator("instanceName")
    @classmethod
    def _instance_name(cls, value: str) -> str:
        if not _INSTANCE_NAME.match(value):
            raise ValueError(
                "must be 1 to 63 characters from a-z, 0-9 and -, starting with a letter "
                "and not ending with -"
            )
        return value


class ScaleRequest(Body):
    instanceTypeId: str | None = None
    cpu: int | None = Field(None, ge=1)
    memory: int | None = Field(None, ge=1)


class ExtendDiskRequest(Body):
    hdDiskSizeGB: int = Field(ge=1)


class DbOptionsRequest(Body):
    dbOptions: list[DbOptionRequest]


class ClientSslRequest(Body):
    requireClientSsl: bool


class BackupRequest(Body):
    backupName: str = Field(min_length=1, max_length=255)
    automated: bool = False


class EmptyRequest(Body):
    """A body that may be `{}` or absent."""
