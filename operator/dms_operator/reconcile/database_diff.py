"""The differences between a DMSDatabase spec and its DMS database. Pure functions.

Each difference names the spec field with both values, for Events and messages, and
carries the DMS write that removes it. Settings that DMS merges (backup, maintenance
window, options) are compared only in the sub-fields the spec sets, and the write sends
DMS's current values for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from dms_operator.models.database import BackupSpec, MaintenanceWindowSpec, PowerState
from dms_operator.models.dms import (
    BackupConfig,
    Database,
    DatabaseStatus,
    MaintenanceConfig,
    ScaleRequest,
)
from dms_operator.reconcile.database_types import (
    Action,
    ChangeDbOptions,
    DatabaseIntent,
    DatabaseObservation,
    ExtendDisk,
    Scale,
    SetClientSsl,
    UpdateBackup,
    UpdateMaintenance,
)

PickT = TypeVar("PickT")


@dataclass(frozen=True)
class Difference:
    """A spec value that DMS does not have, and the DMS write that applies it."""

    field: str
    action: Action


def differences(
    intent: DatabaseIntent, observed: DatabaseObservation, database: Database
) -> list[Difference]:
    """Return what differs between the spec and `database`, settings first.

    The power state is left out: the plan orders power changes around the others.
    """
    spec = intent.spec
    found: list[Difference] = []
    backup = _backup_change(spec.backup, database.db_backup_config)
    if backup is not None:
        found.append(Difference("spec.backup", UpdateBackup(backup)))
    maintenance = _maintenance_change(spec.maintenance_window, database.maintenance_config)
    if maintenance is not None:
        found.append(Difference("spec.maintenanceWindow", UpdateMaintenance(maintenance)))
    options = _options_change(spec.db_options, database)
    if options is not None:
        found.append(Difference(f"spec.dbOptions ({', '.join(options.changed_keys)})", options))
    wanted_ssl = spec.effective_require_client_ssl()
    if bool(database.require_client_ssl) != wanted_ssl:
        label = f"spec.requireClientSsl ({wanted_ssl}, DMS has {bool(database.require_client_ssl)})"
        found.append(Difference(label, SetClientSsl(wanted_ssl)))
    scale = _scale_change(intent, observed, database)
    if scale is not None:
        found.append(Difference(scale.summary, scale))
    hw = database.hw_config
    disk = hw.hd_disk_size_gb if hw is not None else None
    if spec.storage_gb is not None and (disk is None or spec.storage_gb > disk):
        label = f"spec.storageGB ({spec.storage_gb}, DMS has {disk})"
        found.append(Difference(label, ExtendDisk(spec.storage_gb, disk)))
    return found


def power_difference(intent: DatabaseIntent, database: Database) -> str | None:
    """Return the power-state field label when DMS's power state differs from the spec."""
    want_on = intent.spec.effective_power_state() is PowerState.ON
    if want_on and database.status == DatabaseStatus.POWEREDOFF:
        return "spec.powerState (On, DMS has POWEREDOFF)"
    if not want_on and database.status == DatabaseStatus.ONLINE:
        return "spec.powerState (Off, DMS has ONLINE)"
    return None


def _backup_change(wanted: BackupSpec | None, current: BackupConfig | None) -> BackupConfig | None:
    """Return the merged backup settings when a field set in the spec differs from DMS."""
    if wanted is None:
        return None
    current = current or BackupConfig()
    merged = BackupConfig(
        num_local_backup_days=_pick(wanted.local_retention_days, current.num_local_backup_days),
        num_remote_backup_days=_pick(wanted.remote_retention_days, current.num_remote_backup_days),
        automated_backup_start_time=_pick(wanted.start_time, current.automated_backup_start_time),
    )
    return merged if merged != current else None


def _maintenance_change(
    wanted: MaintenanceWindowSpec | None, current: MaintenanceConfig | None
) -> MaintenanceConfig | None:
    """Return the merged maintenance window when a field set in the spec differs from DMS."""
    if wanted is None:
        return None
    current = current or MaintenanceConfig()
    day = wanted.day.dms_value if wanted.day is not None else None
    merged = MaintenanceConfig(
        maintenance_window_start_day=_pick(day, current.maintenance_window_start_day),
        maintenance_window_start_time=_pick(
            wanted.start_time, current.maintenance_window_start_time
        ),
        maintenance_window_duration=_pick(
            wanted.duration_hours, current.maintenance_window_duration
        ),
        minor_version_upgrade_enabled=_pick(
            wanted.minor_version_upgrades, current.minor_version_upgrade_enabled
        ),
        # A window set in the spec is one the user selected.
        maintenance_window_selected=True,
    )
    return merged if merged != current else None


def _pick(wanted: PickT | None, current: PickT | None) -> PickT | None:
    return wanted if wanted is not None else current


def _options_change(wanted: dict[str, str] | None, database: Database) -> ChangeDbOptions | None:
    """Return the option change when an option set in the spec differs from DMS.

    DMS replaces the whole list, so the request keeps the options the spec does not set.
    """
    if not wanted:
        return None
    current = {option.key: option.value or "" for option in database.db_options}
    changed = tuple(sorted(key for key, value in wanted.items() if current.get(key) != value))
    if not changed:
        return None
    merged = {**current, **wanted}
    return ChangeDbOptions(tuple(sorted(merged.items())), changed)


def _scale_change(
    intent: DatabaseIntent, observed: DatabaseObservation, database: Database
) -> Scale | None:
    spec = intent.spec
    hw = database.hw_config
    if spec.instance_plan is not None:
        plan = observed.instance_plan
        if plan is None:
            return None
        if hw is not None and hw.instance_plan_id == plan.id:
            return None
        return Scale(ScaleRequest(instance_type_id=plan.id), f"spec.instancePlan ({plan.name})")
    cpu = spec.cpu if spec.cpu is not None and (hw is None or hw.cpu_cores != spec.cpu) else None
    memory = (
        spec.memory_gb
        if spec.memory_gb is not None and (hw is None or hw.memory_gb != spec.memory_gb)
        else None
    )
    if cpu is None and memory is None:
        return None
    parts = []
    if cpu is not None:
        parts.append(f"spec.cpu ({cpu}, DMS has {hw.cpu_cores if hw else None})")
    if memory is not None:
        parts.append(f"spec.memoryGB ({memory}, DMS has {hw.memory_gb if hw else None})")
    return Scale(ScaleRequest(cpu=cpu, memory=memory), ", ".join(parts))


def unsupported_changes(
    intent: DatabaseIntent, observed: DatabaseObservation, database: Database
) -> list[str]:
    """Return messages for spec values DMS cannot apply to an existing database."""
    messages: list[str] = []
    hw = database.hw_config
    disk = hw.hd_disk_size_gb if hw is not None else None
    wanted_disk = intent.spec.storage_gb
    if wanted_disk is not None and disk is not None and wanted_disk < disk:
        messages.append(
            f"spec.storageGB {wanted_disk} is smaller than the DMS disk of {disk} GB and disks "
            f"cannot shrink; set spec.storageGB to at least {disk}"
        )
    if observed.password_change_requested:
        messages.append(
            "DMS cannot change the admin password of an existing database; the connection "
            "Secret keeps the password the database was created with"
        )
    if observed.moved_to_org_id is not None:
        messages.append(
            f"the database lives in organization {observed.org_id} and cannot move to "
            f"organization {observed.moved_to_org_id}; delete and recreate the resource to move it"
        )
    return messages
