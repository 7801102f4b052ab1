"""The simulator's stored records. Field names of the parts that go on the wire
are DMS's own (camelCase); fields that never go on the wire are listed in each
record's `PRIVATE` set."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROVIDER = "PROVIDER"
ORG_ADMIN = "ORG_ADMIN"
ORG_USER = "ORG_USER"
ROLES = (PROVIDER, ORG_ADMIN, ORG_USER)

PROVIDER_ORG = "PROVIDER_ORG"
TENANT_ORG = "TENANT_ORG"
INSTANCE_MODES = ("FREE_MODE", "PLANS_MODE")

TASK_IN_PROGRESS = "IN_PROGRESS"
TASK_SUCCESS = "SUCCESS"
TASK_FAILED = "FAILED"
TASK_COMMUNICATION_LOST = "COMMUNICATION_LOST"
TASK_FINAL_STATUSES = (TASK_SUCCESS, TASK_FAILED, TASK_COMMUNICATION_LOST)

# Database statuses of DMS 1.0.
DB_STATUSES = (
    "ONLINE",
    "ERROR",
    "LOST_CONNECTIVITY",
    "WARNING",
    "FATAL",
    "CRITICAL",
    "INIT",
    "DELETED",
    "POWEREDOFF",
    "POWEREDON",
    "CONTROL_PLANE_UPDATE_IN_PROGRESS",
    "CONTROL_PLANE_UPDATE_FAILED",
    "DB_ENGINE_UPDATE_IN_PROGRESS",
    "DB_ENGINE_UPDATE_FAILED",
    "OS_UPDATE_IN_PROGRESS",
    "OS_UPDATE_FAILED",
    "DELETING",
    "MODIFYING",
    "BACKUP_IN_PROGRESS",
)


def new_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    """Return the current UTC time as DMS prints it, e.g. `2026-01-01T00:00:00.123Z`."""
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Record(BaseModel):
    """A stored record; `wire()` drops the private fields."""

    model_config = ConfigDict(validate_assignment=False, extra="forbid")
    PRIVATE: ClassVar[frozenset[str]] = frozenset()

    def wire(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude=set(self.PRIVATE))
        data["links"] = []
        return data


class Org(Record):
    PRIVATE = frozenset({"databaseCaPem", "createdTimestamp"})

    id: str
    companyName: str
    email: str
    instanceMode: str
    orgType: str = TENANT_ORG
    dbFqdnSuffix: str | None = None
    deleted: bool = False
    ldapOrgDetails: dict[str, Any] | None = None
    createdTimestamp: str = Field(default_factory=now_iso)
    databaseCaPem: str = ""


class User(Record):
    PRIVATE = frozenset({"passwordHash", "createdTimestamp"})

    id: int
    firstName: str
    lastName: str
    contactNumber: str = ""
    email: str
    tenantId: str
    companyName: str
    roles: list[str]
    type: str = "TDM"
    passwordHash: str
    createdTimestamp: str = Field(default_factory=now_iso)


class Plan(Record):
    id: str
    name: str
    cpu: int
    memory: int
    deleted: bool = False


class Datastore(BaseModel):
    mor: str
    datastoreName: str
    isDefault: bool = False


class DatastoreList(BaseModel):
    list: list[Datastore]


class Environment(Record):
    id: str
    name: str
    tenantId: str
    vcHost: str
    vcClusterName: str
    vcVmDatastores: DatastoreList


class SystemDefaults(BaseModel):
    cpu: dict[str, Any]
    memory: dict[str, Any]
    disk: dict[str, Any]


class TemplateOption(BaseModel):
    key: str
    value: str
    type: str
    url: str = ""


class Template(Record):
    logicalBuildId: str
    serviceType: str
    version: str
    status: str = "PUBLISHED"
    deployedInstances: int = 0
    systemDefaults: SystemDefaults
    dbOptions: list[TemplateOption] = []


class EnvironmentRef(BaseModel):
    environmentId: str
    vcHost: str
    vcClusterName: str


class DbInstanceConfig(BaseModel):
    port: int
    adminUser: str
    dbName: str
    monitoringType: str


class HwConfig(BaseModel):
    hdDiskSizeGB: int
    cpuCores: int
    memoryGB: int
    instancePlanId: str | None = None
    thinDisk: bool = True


class BackupConfig(BaseModel):
    numLocalBackupDays: int | None = None
    numRemoteBackupDays: int | None = None
    automatedBackupStartTime: str | None = None


class MaintenanceConfig(BaseModel):
    maintenanceWindowStartDay: str | None = None
    maintenanceWindowStartTime: str | None = None
    maintenanceWindowDuration: int | None = None
    minorVersionUpgradeEnabled: bool = True
    maintenanceWindowSelected: bool = False


class DbOption(BaseModel):
    key: str
    value: str


class Database(Record):
    PRIVATE = frozenset({"backend", "realCreated", "createdBy"})

    id: str
    instanceName: str
    tenantId: str
    dbType: str
    role: str = "STAND_ALONE"
    version: str
    logicalBuildId: str
    status: str
    deleted: bool = False
    createdTimestamp: str = Field(default_factory=now_iso)
    environment: EnvironmentRef
    dataStoreName: str
    fqdn: str
    ip: str
    dbMgmtIp: str
    dbInstanceConfig: DbInstanceConfig
    hwConfig: HwConfig
    dbBackupConfig: BackupConfig
    managedDbMaintenanceConfigDTO: MaintenanceConfig
    dbOptions: list[DbOption] = []
    requireClientSsl: bool = False
    enableProtection: bool = False
    # Name of the real backend ("postgres" / "mysql") that hosts it, if any.
    backend: str | None = None
    realCreated: bool = False
    createdBy: str = ""

    def list_item(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instanceName": self.instanceName,
            "tenantId": self.tenantId,
            "environment": self.environment.model_dump(),
            "dbType": self.dbType,
            "role": self.role,
            "version": self.version,
            "status": self.status,
            "createdTimestamp": self.createdTimestamp,
            "user": self.createdBy,
            "enableProtection": self.enableProtection,
            "links": [],
        }


class Backup(Record):
    backupId: str
    backupChainId: str
    backupName: str
    backupInstanceType: str = "FULL"
    backupChainStatus: str = "SUCCESS"
    isLocalAvailable: bool = True
    localStatus: str = "SUCCESS"
    isCloudAvailable: bool = False
    cloudStatus: str | None = None
    snapshotCreationTime: str = Field(default_factory=now_iso)
    user: str
    tenantId: str
    environmentId: str
    dataStoreMor: str
    logicalBuildId: str
    dbId: str
    dbInstanceName: str
    dbRole: str
    automated: bool = False


class StateEntry(BaseModel):
    state: str
    createdTimestamp: str = Field(default_factory=now_iso)
    errorEvent: bool = False


class TaskTarget(BaseModel):
    id: str
    name: str
    type: str = "DATABASE"


class TaskErrorInfo(BaseModel):
    errorTrace: str = ""
    errorMessage: str
    errorCode: str


class Task(Record):
    PRIVATE = frozenset(
        {"tenantId", "params", "secretParams", "failMessage", "failStatus", "previousStatus"}
    )

    id: str
    taskType: str
    userName: str
    createdTimestamp: str = Field(default_factory=now_iso)
    status: str = TASK_IN_PROGRESS
    percent: int = 0
    stateHistory: list[StateEntry] = []
    targetDetails: TaskTarget | None = None
    taskErrorInfo: TaskErrorInfo | None = None
    dbDetails: dict[str, str] | None = None
    tenantId: str
    # What the operation changes when it succeeds (new sizing, option list...).
    params: dict[str, Any] = {}
    # Kept only until the task ends (the admin password of CREATE_DB).
    secretParams: dict[str, str] = {}
    failMessage: str | None = None
    failStatus: str | None = None
    # The database status to restore when the task fails.
    previousStatus: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TASK_FINAL_STATUSES
