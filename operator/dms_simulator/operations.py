"""What each task type does to the state when it ends.

`complete` applies a successful task (and is where the real database server is
changed, off the event loop); `revert` restores a database after a failed one.
A failed CREATE_DB leaves the database in status FATAL, so that the client can
see the failure and delete it.
"""

from __future__ import annotations

import asyncio
import logging

from dms_simulator.backends import Backend, BackendError
from dms_simulator.records import Backup, Database, DbOption, Task, new_id
from dms_simulator.store import Store

logger = logging.getLogger("dms_simulator")

CREATE_DB = "CREATE_DB"
DELETE_DB = "DELETE_DB"
POWER_ON = "POWER_ON"
POWER_OFF = "POWER_OFF"
SCALE_DB_CONFIG = "SCALE_DB_CONFIG"
EXTEND_DB_DISK = "EXTEND_DB_DISK"
CHANGE_DB_OPTIONS = "CHANGE_DB_OPTIONS"
DB_CLIENT_SSL_ENABLE = "DB_CLIENT_SSL_ENABLE"
DB_CLIENT_SSL_DISABLE = "DB_CLIENT_SSL_DISABLE"
BACKUP_DB = "BACKUP_DB"

TASK_TYPES = (
    CREATE_DB,
    DELETE_DB,
    POWER_ON,
    POWER_OFF,
    SCALE_DB_CONFIG,
    EXTEND_DB_DISK,
    CHANGE_DB_OPTIONS,
    DB_CLIENT_SSL_ENABLE,
    DB_CLIENT_SSL_DISABLE,
    BACKUP_DB,
)


def _backend_of(database: Database, backends: dict[str, Backend]) -> Backend | None:
    if database.backend is None:
        return None
    backend = backends.get(database.dbType)
    if backend is None:
        logger.warning(
            "database %s was created on a real %s server, but none is configured now; "
            "only the simulated record changes",
            database.id,
            database.dbType,
        )
    return backend


async def complete(store: Store, backends: dict[str, Backend], task: Task) -> None:
    """Apply a task that succeeded. Raises BackendError when the real server fails."""
    database_id = task.dbDetails["id"] if task.dbDetails else ""
    database = store.state.databases.get(database_id)
    if database is None:
        if task.taskType == DELETE_DB:
            return
        raise BackendError(f"database '{database_id}' no longer exists")
    backend = _backend_of(database, backends)
    match task.taskType:
        case "CREATE_DB":
            if database.backend is not None:
                if backend is None:
                    raise BackendError(f"no {database.dbType} server is configured")
                password = task.secretParams.get("adminPassword", "")
                config = database.dbInstanceConfig
                await asyncio.to_thread(
                    backend.create_database, config.dbName, config.adminUser, password
                )
                database.realCreated = True
            database.status = "ONLINE"
        case "DELETE_DB":
            if backend is not None and database.realCreated:
                config = database.dbInstanceConfig
                await asyncio.to_thread(backend.drop_database, config.dbName, config.adminUser)
            store.state.databases.pop(database.id, None)
        case "POWER_OFF":
            if backend is not None and database.realCreated:
                user = database.dbInstanceConfig.adminUser
                await asyncio.to_thread(backend.set_login_enabled, user, False)
            database.status = "POWEREDOFF"
        case "POWER_ON":
            if backend is not None and database.realCreated:
                user = database.dbInstanceConfig.adminUser
                await asyncio.to_thread(backend.set_login_enabled, user, True)
            database.status = "ONLINE"
        case "SCALE_DB_CONFIG":
            database.hwConfig.cpuCores = int(task.params["cpuCores"])
            database.hwConfig.memoryGB = int(task.params["memoryGB"])
            database.hwConfig.instancePlanId = task.params.get("instancePlanId")
            database.status = "ONLINE"
        case "EXTEND_DB_DISK":
            database.hwConfig.hdDiskSizeGB = int(task.params["hdDiskSizeGB"])
            database.status = "ONLINE"
        case "CHANGE_DB_OPTIONS":
            database.dbOptions = [DbOption.model_validate(o) for o in task.params["dbOptions"]]
            database.status = "ONLINE"
        case "DB_CLIENT_SSL_ENABLE" | "DB_CLIENT_SSL_DISABLE":
            database.requireClientSsl = bool(task.params["requireClientSsl"])
            database.status = "ONLINE"
        case "BACKUP_DB":
            backup = Backup(
                backupId=new_id(),
                backupChainId=new_id(),
                backupName=str(task.params["backupName"]),
                automated=bool(task.params.get("automated", False)),
                user=task.userName,
                tenantId=database.tenantId,
                environmentId=database.environment.environmentId,
                dataStoreMor=database.dataStoreName,
                logicalBuildId=database.logicalBuildId,
                dbId=database.id,
                dbInstanceName=database.instanceName,
                dbRole=database.role,
            )
            store.state.backups[backup.backupId] = backup
            database.status = "ONLINE"
        case _:
            raise BackendError(f"unknown task type {task.taskType}")


def revert(store: Store, task: Task) -> None:
    """Put the database of a failed task into a state that a client can act on."""
    database_id = task.dbDetails["id"] if task.dbDetails else ""
    database = store.state.databases.get(database_id)
    if database is None:
        return
    if task.taskType == CREATE_DB:
        database.status = "FATAL"
    elif task.previousStatus is not None:
        database.status = task.previousStatus
