"""The data that flows through a DMSDatabase reconcile: intent, observation, actions, plan.

`DatabaseIntent` is the resource (spec with defaults applied, annotations, what the last
status recorded). `DatabaseObservation` is what the observe step read from DMS and
Kubernetes. `plan_database` (in `database_plan`) turns the two into a `DatabasePlan`: the
actions to take, in order, and the conditions to report. All of them are frozen
dataclasses without I/O, so the plan can be tested without a cluster or DMS. Fields that
hold a password are left out of `repr`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dms_operator.models.database import DMSDatabaseSpec, Engine, TaskStatus
from dms_operator.models.dms import (
    BackupConfig,
    CreateDatabaseRequest,
    Database,
    InstancePlan,
    MaintenanceConfig,
    ScaleRequest,
    Task,
)
from dms_operator.reconcile.connection_secret import Owner
from dms_operator.reconcile.status import Condition, PlannedEvent


@dataclass(frozen=True)
class DatabaseIntent:
    """The DMSDatabase resource as the reconcile needs it."""

    namespace: str
    name: str
    uid: str
    generation: int
    spec: DMSDatabaseSpec
    instance_name: str
    database_name: str
    admin_username: str
    port: int
    connection_secret_name: str
    paused: bool = False
    adopt: bool = False
    create_requested: bool = False
    # From the current status.
    recorded_id: str | None = None
    recorded_org_id: str | None = None
    recorded_task: TaskStatus | None = None
    recorded_dms_status: str | None = None
    observed_generation: int | None = None
    ready_reason: str | None = None
    ready_message: str | None = None

    @property
    def engine(self) -> Engine:
        """The database engine of the spec."""
        return self.spec.engine

    @property
    def owner(self) -> Owner:
        """The owner of the connection Secret: this resource."""
        return Owner(self.name, self.uid)


class PasswordOrigin(enum.Enum):
    """Source of the admin password in an observation."""

    # spec.adminPasswordSecretRef.
    USER = "user"
    # The connection Secret the operator wrote earlier.
    STORED = "stored"
    # Generated in this reconcile, for a database that does not exist yet.
    GENERATED = "generated"
    # Not known: an adopted database without spec.adminPasswordSecretRef.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DatabaseObservation:
    """State that the observe step read from DMS and Kubernetes."""

    org_id: str
    database: Database | None = None
    # The id in status.id when DMS returns 404 for it, so the database was deleted out of band.
    missing_id: str | None = None
    # The task recorded in status.task, as DMS reports it now; None when none is recorded
    # or DMS does not know it.
    task: Task | None = None
    # Set only when a database must be created.
    create_request: CreateDatabaseRequest | None = field(default=None, repr=False)
    # spec.instancePlan resolved, when set.
    instance_plan: InstancePlan | None = None
    password: str | None = field(default=None, repr=False)
    password_origin: PasswordOrigin = PasswordOrigin.UNKNOWN
    # The password of spec.adminPasswordSecretRef, when it differs from the stored one.
    password_change_requested: bool = False
    # The connection Secret as it should be now (a `secret_body`), and whether the
    # existing one differs from it.
    connection_secret: dict[str, object] | None = field(default=None, repr=False)
    connection_secret_stale: bool = False
    connection_secret_complete: bool = False
    # The organization of status.id differs from the one the spec names now.
    moved_to_org_id: str | None = None


class Action:
    """One step of a plan. `starts_task` actions start a DMS task; at most one runs."""

    starts_task = False
    writes_dms = False
    task_type = ""

    def describe(self) -> str:
        """Return a one-line description for Events and messages."""
        raise NotImplementedError


@dataclass(frozen=True)
class WriteConnectionSecret(Action):
    """Create or update the connection Secret (pending before creation, complete after)."""

    body: dict[str, object] = field(repr=False)
    complete: bool = True

    def describe(self) -> str:
        name = self.body.get("metadata", {})
        secret = name.get("name") if isinstance(name, dict) else "?"
        return f"write connection Secret {secret}"


@dataclass(frozen=True)
class MarkCreateRequested(Action):
    """Annotate the resource before the create request, so that after a restart the
    operator treats the DMS database of this name as its own."""

    def describe(self) -> str:
        return "record that the create request is about to be sent"


@dataclass(frozen=True)
class CreateDatabase(Action):
    """Ask DMS to create the database."""

    request: CreateDatabaseRequest = field(repr=False)
    starts_task = True
    writes_dms = True
    task_type = "CREATE_DB"

    def describe(self) -> str:
        return f"create instance {self.request.instance_name}"


@dataclass(frozen=True)
class PowerOn(Action):
    """Power the database on."""

    starts_task = True
    writes_dms = True
    task_type = "POWER_ON"

    def describe(self) -> str:
        return "power on"


@dataclass(frozen=True)
class PowerOff(Action):
    """Power the database off."""

    starts_task = True
    writes_dms = True
    task_type = "POWER_OFF"

    def describe(self) -> str:
        return "power off"


@dataclass(frozen=True)
class Scale(Action):
    """Change CPU and memory, or the instance plan."""

    request: ScaleRequest
    summary: str
    starts_task = True
    writes_dms = True
    task_type = "SCALE_DB_CONFIG"

    def describe(self) -> str:
        return f"scale ({self.summary})"


@dataclass(frozen=True)
class ExtendDisk(Action):
    """Grow the disk."""

    size_gb: int
    current_gb: int | None
    starts_task = True
    writes_dms = True
    task_type = "EXTEND_DB_DISK"

    def describe(self) -> str:
        return f"extend disk from {self.current_gb} GB to {self.size_gb} GB"


@dataclass(frozen=True)
class ChangeDbOptions(Action):
    """Set engine options; `options` is the full list DMS keeps afterwards."""

    options: tuple[tuple[str, str], ...]
    changed_keys: tuple[str, ...]
    starts_task = True
    writes_dms = True
    task_type = "CHANGE_DB_OPTIONS"

    def describe(self) -> str:
        return f"change database options {', '.join(self.changed_keys)}"


@dataclass(frozen=True)
class SetClientSsl(Action):
    """Require client TLS, or stop requiring it."""

    required: bool
    starts_task = True
    writes_dms = True

    @property
    def task_type(self) -> str:  # type: ignore[override]
        return "DB_CLIENT_SSL_ENABLE" if self.required else "DB_CLIENT_SSL_DISABLE"

    def describe(self) -> str:
        return "require client TLS" if self.required else "stop requiring client TLS"


@dataclass(frozen=True)
class UpdateBackup(Action):
    """Replace the backup settings (synchronous in DMS)."""

    config: BackupConfig
    writes_dms = True

    def describe(self) -> str:
        return "update the backup settings"


@dataclass(frozen=True)
class UpdateMaintenance(Action):
    """Replace the maintenance window (synchronous in DMS)."""

    config: MaintenanceConfig
    writes_dms = True

    def describe(self) -> str:
        return "update the maintenance window"


@dataclass(frozen=True)
class DatabasePlan:
    """The outcome of planning: the actions in order, and what to report.

    `database_id` is the DMS id to record in status. `wait` is true when DMS is busy
    with the database (a task runs, or its status is transitional), so the reconcile
    must look again soon. `unsupported` lists spec changes DMS cannot make; they make
    `Synced` False without a retry. `failed` means that `ready` reports a failure in DMS
    (a failed task, a FATAL database) that `Synced` repeats, also without a retry.
    """

    ready: Condition
    actions: tuple[Action, ...] = ()
    database_id: str | None = None
    wait: bool = False
    unsupported: tuple[str, ...] = ()
    events: tuple[PlannedEvent, ...] = ()
    pending: tuple[str, ...] = ()
    failed: bool = False

    @property
    def dms_writes(self) -> tuple[Action, ...]:
        """The actions that change something in DMS."""
        return tuple(action for action in self.actions if action.writes_dms)
