"""Pydantic models of the DMS database, backup and task payloads.

Statuses and task types are plain `str` because DMS adds values between releases;
`DatabaseStatus` and `TaskStatus` list the values the operator acts on.
"""

from enum import StrEnum
from typing import Final, Literal

from pydantic import Field, field_serializer, model_validator

from dms_operator.models.dms_base import DbOption, DMSModel, WireSecret


class DatabaseStatus(StrEnum):
    """Database statuses the operator acts on; DMS has more (`ERROR`, `WARNING`, ...)."""

    INIT = "INIT"
    ONLINE = "ONLINE"
    MODIFYING = "MODIFYING"
    POWEREDOFF = "POWEREDOFF"
    DELETING = "DELETING"
    DELETED = "DELETED"


class HwConfig(DMSModel):
    """Hardware sizing; sizes in GB. `instance_plan_id` excludes `cpu_cores`/`memory_gb`."""

    cpu_cores: int | None = None
    memory_gb: int | None = Field(default=None, alias="memoryGB")
    hd_disk_size_gb: int | None = Field(default=None, alias="hdDiskSizeGB")
    instance_plan_id: str | None = None
    thin_disk: bool | None = None


class ProvisioningConfig(DMSModel):
    """Placement and sizing of a new database; without it DMS uses the template defaults."""

    type: str = "SINGLE_NODE"
    hw_config: HwConfig | None = None


class DbConfig(DMSModel):
    """The engine settings of a new database (`DbInstanceConfigDTO`)."""

    db_name: str
    port: int | None = None
    admin_user: str
    admin_password: WireSecret
    monitoring_type: Literal["NORMAL", "ENHANCED"] = "NORMAL"


class BackupConfig(DMSModel):
    """Backup retention in days and the daily start time (`HH:MM`)."""

    num_local_backup_days: int | None = None
    num_remote_backup_days: int | None = None
    automated_backup_start_time: str | None = None


class MaintenanceConfig(DMSModel):
    """The weekly maintenance window.

    DMS reads `maintenanceWindowDuration` (hours) as a string in requests and returns it
    as a number. The model stores an int and sends it as a string.
    """

    maintenance_window_start_day: str | None = None
    maintenance_window_start_time: str | None = None
    maintenance_window_duration: int | None = None
    minor_version_upgrade_enabled: bool | None = None
    maintenance_window_selected: bool | None = None

    @field_serializer("maintenance_window_duration")
    def _duration_as_text(self, value: int | None) -> str | None:
        return None if value is None else str(value)


class CreateDatabaseRequest(DMSModel):
    """Body of `POST /databases` (`CreateDbDTO`)."""

    environment_id: str
    template_id: str
    instance_name: str
    data_store_name: str
    provisioning_config: ProvisioningConfig | None = None
    db_config: DbConfig
    db_backup_config: BackupConfig | None = None
    db_maintenance_config: MaintenanceConfig | None = None
    require_client_ssl: bool | None = None
    db_options: list[DbOption] | None = None


class ScaleRequest(DMSModel):
    """Body of `PUT /databases/{id}/scale-db-config`: a plan id, or CPU and memory (GB)."""

    instance_type_id: str | None = None
    cpu: int | None = None
    memory: int | None = None

    @model_validator(mode="after")
    def _require_a_change(self) -> "ScaleRequest":
        if self.instance_type_id is None and self.cpu is None and self.memory is None:
            raise ValueError("a scale request needs instance_type_id, cpu or memory")
        return self


class DatabaseEnvironment(DMSModel):
    """The environment a database runs in, as embedded in database payloads."""

    environment_id: str | None = None
    vc_host: str | None = None
    vc_cluster_name: str | None = None


class DatabaseSummary(DMSModel):
    """An item of `GET /databases`."""

    id: str
    instance_name: str
    tenant_id: str | None = None
    environment: DatabaseEnvironment | None = None
    db_type: str = ""
    role: str = ""
    version: str = ""
    status: str = ""
    created_timestamp: str | None = None


class DbInstanceConfig(DMSModel):
    """Engine settings of an existing database; DMS never returns the password."""

    port: int | None = None
    admin_user: str | None = None
    db_name: str | None = None
    monitoring_type: str | None = None


class Database(DatabaseSummary):
    """A database as `GET /databases/{id}` returns it."""

    logical_build_id: str | None = None
    deleted: bool = False
    data_store_name: str | None = None
    fqdn: str | None = None
    ip: str | None = None
    db_mgmt_ip: str | None = None
    db_instance_config: DbInstanceConfig | None = None
    hw_config: HwConfig | None = None
    db_backup_config: BackupConfig | None = None
    maintenance_config: MaintenanceConfig | None = Field(
        default=None, alias="managedDbMaintenanceConfigDTO"
    )
    db_options: list[DbOption] = Field(default_factory=list)
    require_client_ssl: bool | None = None
    enable_protection: bool | None = None

    @property
    def connection_host(self) -> str | None:
        """The host clients connect to: the FQDN, else the IP address, else `None`."""
        return self.fqdn or self.ip or None

    @property
    def port(self) -> int | None:
        """The engine's port, `None` until DMS reports it."""
        return self.db_instance_config.port if self.db_instance_config else None


class Backup(DMSModel):
    """A backup of a database (`BackupDTO`, the fields the operator reads)."""

    backup_id: str
    backup_name: str | None = None
    db_id: str | None = None
    db_instance_name: str | None = None
    automated: bool | None = None
    local_status: str | None = None
    cloud_status: str | None = None
    snapshot_creation_time: str | None = None


# Tasks


class TaskStatus(StrEnum):
    """Terminal task statuses; DMS reports anything else (e.g. `IN_PROGRESS`) while running."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    COMMUNICATION_LOST = "COMMUNICATION_LOST"


_FAILED_TASK_STATUSES: Final = frozenset({TaskStatus.FAILED, TaskStatus.COMMUNICATION_LOST})


class TaskRef(DMSModel):
    """The response of an asynchronous operation. The wire key is `task_id`, not camelCase."""

    task_id: str = Field(alias="task_id")


class TaskState(DMSModel):
    """One entry of a task's state history."""

    state: str = ""
    created_timestamp: str | None = None
    error_event: bool = False


class TaskTarget(DMSModel):
    """The object a task works on."""

    id: str | None = None
    name: str | None = None
    type: str | None = None


class TaskErrorInfo(DMSModel):
    """The reason a task failed, as DMS reports it."""

    error_trace: str | None = None
    error_message: str | None = None
    error_code: str | None = None


class TaskDbDetails(DMSModel):
    """The database a task created or changed."""

    id: str | None = None


class Task(DMSModel):
    """A DMS task (`GET /mastertasks/{id}`)."""

    id: str
    task_type: str = ""
    user_name: str | None = None
    created_timestamp: str | None = None
    status: str = ""
    percent: int = 0
    state_history: list[TaskState] = Field(default_factory=list)
    target_details: TaskTarget | None = None
    task_error_info: TaskErrorInfo | None = None
    db_details: TaskDbDetails | None = None

    @property
    def is_running(self) -> bool:
        """Whether the task has not reached a terminal status yet."""
        return self.status not in set(TaskStatus)

    @property
    def succeeded(self) -> bool:
        """Whether the task finished with `SUCCESS`."""
        return self.status == TaskStatus.SUCCESS

    @property
    def failed(self) -> bool:
        """Whether the task ended with `FAILED` or `COMMUNICATION_LOST`."""
        return self.status in _FAILED_TASK_STATUSES

    @property
    def error_message(self) -> str | None:
        """DMS's reason for a failed task, or `None` while running or after success."""
        if not self.failed:
            return None
        info = self.task_error_info
        if info is not None and info.error_message:
            return info.error_message
        if info is not None and info.error_code:
            return f"task ended with status {self.status}, error code {info.error_code}"
        return f"task ended with status {self.status} without an error message"
