"""Operations on an existing database: power, scaling, disk, options, client
TLS, backup and maintenance settings, and on-demand backups.

Most start a task and move the database to a transitional status; the backup
and maintenance settings change synchronously and return the detail.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from dms_simulator import operations
from dms_simulator.auth import OrgContext, OrgMember
from dms_simulator.errors import validation_failed
from dms_simulator.records import Database
from dms_simulator.routes.databases import require_status
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator
from dms_simulator.schemas import (
    BackupConfigRequest,
    BackupRequest,
    ClientSslRequest,
    DbOptionsRequest,
    EmptyRequest,
    ExtendDiskRequest,
    MaintenanceConfigRequest,
    ScaleRequest,
)
from dms_simulator.sizing import check_range, checked_options, scaled_sizing

router = APIRouter(prefix=PREFIX, tags=["databases"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]
OptionalEmptyBody = Annotated[EmptyRequest | None, Body()]

ONLINE = frozenset({"ONLINE"})
POWERED_ON = frozenset({"ONLINE", "WARNING", "ERROR", "CRITICAL", "POWEREDON"})
POWERED_OFF = frozenset({"POWEREDOFF"})
# Settings can change in any status except while the database is going away.
NOT_DELETING = frozenset(
    {"ONLINE", "POWEREDOFF", "POWEREDON", "WARNING", "ERROR", "CRITICAL", "FATAL", "MODIFYING"}
)


async def _start(
    simulator: Simulator,
    context: OrgContext,
    database: Database,
    task_type: str,
    new_status: str,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    task = await simulator.runner.submit(
        task_type, context.user.email, database, new_status, params=params
    )
    return {"task_id": task.id}


def _template_of(simulator: Simulator, database: Database) -> Any:
    return simulator.store.state.templates[database.logicalBuildId]


@router.put("/databases/{database_id}/power-on", summary="Power a database on")
async def power_on(
    database_id: str,
    context: OrgMember,
    simulator: SimulatorDep,
    body: OptionalEmptyBody = None,
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    require_status(database, POWERED_OFF, "power-on")
    return await _start(simulator, context, database, operations.POWER_ON, "MODIFYING")


@router.put("/databases/{database_id}/power-off", summary="Power a database off")
async def power_off(
    database_id: str,
    context: OrgMember,
    simulator: SimulatorDep,
    body: OptionalEmptyBody = None,
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    require_status(database, POWERED_ON, "power-off")
    return await _start(simulator, context, database, operations.POWER_OFF, "MODIFYING")


@router.put("/databases/{database_id}/scale-db-config", summary="Change cpu and memory")
async def scale(
    database_id: str, body: ScaleRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    sizing = scaled_sizing(
        simulator.store, context.org, _template_of(simulator, database), database, body
    )
    require_status(database, ONLINE, "scale-db-config")
    params = {"cpuCores": sizing.cpu, "memoryGB": sizing.memory, "instancePlanId": sizing.plan_id}
    return await _start(
        simulator, context, database, operations.SCALE_DB_CONFIG, "MODIFYING", params
    )


@router.put("/databases/{database_id}/extend-disk", summary="Grow the disk")
async def extend_disk(
    database_id: str, body: ExtendDiskRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    current = database.hwConfig.hdDiskSizeGB
    if body.hdDiskSizeGB <= current:
        raise validation_failed(
            "hdDiskSizeGB",
            f"{body.hdDiskSizeGB} must be greater than the current size {current}; "
            "a disk can only grow",
        )
    check_range(_template_of(simulator, database), "disk", body.hdDiskSizeGB, "hdDiskSizeGB")
    require_status(database, ONLINE, "extend-disk")
    params = {"hdDiskSizeGB": body.hdDiskSizeGB}
    return await _start(
        simulator, context, database, operations.EXTEND_DB_DISK, "MODIFYING", params
    )


@router.put("/databases/{database_id}/db-options", summary="Replace the engine options")
async def change_options(
    database_id: str, body: DbOptionsRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    options = checked_options(_template_of(simulator, database), body.dbOptions, "dbOptions")
    require_status(database, ONLINE, "db-options")
    params = {"dbOptions": [option.model_dump() for option in options]}
    return await _start(
        simulator, context, database, operations.CHANGE_DB_OPTIONS, "MODIFYING", params
    )


@router.put("/databases/{database_id}/client-ssl", summary="Require client TLS or not")
async def client_ssl(
    database_id: str, body: ClientSslRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    require_status(database, ONLINE, "client-ssl")
    task_type = (
        operations.DB_CLIENT_SSL_ENABLE
        if body.requireClientSsl
        else operations.DB_CLIENT_SSL_DISABLE
    )
    params = {"requireClientSsl": body.requireClientSsl}
    return await _start(simulator, context, database, task_type, "MODIFYING", params)


@router.put("/databases/{database_id}/backup-config", summary="Change the backup settings")
async def backup_config(
    database_id: str, body: BackupConfigRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    require_status(database, NOT_DELETING, "backup-config")
    database.dbBackupConfig = database.dbBackupConfig.model_copy(
        update=body.model_dump(exclude_none=True)
    )
    simulator.store.save()
    return database.wire()


@router.put("/databases/{database_id}/maintenance-config", summary="Change the maintenance window")
async def maintenance_config(
    database_id: str,
    body: MaintenanceConfigRequest,
    context: OrgMember,
    simulator: SimulatorDep,
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    require_status(database, NOT_DELETING, "maintenance-config")
    database.managedDbMaintenanceConfigDTO = database.managedDbMaintenanceConfigDTO.model_copy(
        update=body.model_dump(exclude_none=True)
    )
    simulator.store.save()
    return database.wire()


@router.post("/databases/{database_id}/backup", summary="Take a backup now")
async def take_backup(
    database_id: str, body: BackupRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    require_status(database, ONLINE, "backup")
    params = {"backupName": body.backupName, "automated": body.automated}
    return await _start(
        simulator, context, database, operations.BACKUP_DB, "BACKUP_IN_PROGRESS", params
    )
