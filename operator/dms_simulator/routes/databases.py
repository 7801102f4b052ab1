"""Databases (`/provider/databases`): create, list, get and delete.

Only ORG_ADMIN and ORG_USER users reach these routes (a PROVIDER token gets
403, as in DMS 1.0), and only for databases of their `X-Org-ID` org.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dms_simulator.auth import OrgMember
from dms_simulator.errors import already_exists, invalid_state, validation_failed
from dms_simulator.operations import CREATE_DB, DELETE_DB
from dms_simulator.paging import Paging, paginate
from dms_simulator.records import (
    BackupConfig,
    Database,
    DbInstanceConfig,
    EnvironmentRef,
    HwConfig,
    MaintenanceConfig,
    Org,
    new_id,
)
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator
from dms_simulator.schemas import CreateDbRequest
from dms_simulator.seed import DEFAULT_PORTS
from dms_simulator.sizing import checked_options, creation_sizing

router = APIRouter(prefix=PREFIX, tags=["databases"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]

# Statuses in which an operation is under way; a delete must wait for it.
BUSY_STATUSES = frozenset(
    {
        "INIT",
        "DELETING",
        "MODIFYING",
        "BACKUP_IN_PROGRESS",
        "CONTROL_PLANE_UPDATE_IN_PROGRESS",
        "DB_ENGINE_UPDATE_IN_PROGRESS",
        "OS_UPDATE_IN_PROGRESS",
    }
)

# Defaults for a create request without these blocks (the simulator's choice).
DEFAULT_BACKUP_CONFIG = BackupConfig(
    numLocalBackupDays=3, numRemoteBackupDays=6, automatedBackupStartTime="06:00"
)
DEFAULT_MAINTENANCE_CONFIG = MaintenanceConfig(
    maintenanceWindowStartDay="SUNDAY",
    maintenanceWindowStartTime="02:00",
    maintenanceWindowDuration=2,
    minorVersionUpgradeEnabled=True,
    maintenanceWindowSelected=False,
)


def require_status(database: Database, allowed: frozenset[str], operation: str) -> None:
    if database.status not in allowed:
        raise invalid_state(
            f"database '{database.instanceName}' is {database.status}; {operation} needs "
            f"status {' or '.join(sorted(allowed))}"
        )


def _placement(simulator: Simulator, org: Org, body: CreateDbRequest) -> EnvironmentRef:
    environment = simulator.store.state.environments.get(body.environmentId)
    if environment is None or environment.tenantId != org.id:
        raise validation_failed(
            "environmentId", f"unknown environment '{body.environmentId}' for this org"
        )
    names = [datastore.datastoreName for datastore in environment.vcVmDatastores.list]
    if body.dataStoreName not in names:
        raise validation_failed(
            "dataStoreName",
            f"unknown datastore '{body.dataStoreName}' in environment '{environment.name}'; "
            f"known: {', '.join(names)}",
        )
    return EnvironmentRef(
        environmentId=environment.id,
        vcHost=environment.vcHost,
        vcClusterName=environment.vcClusterName,
    )


def _maintenance(body: CreateDbRequest) -> MaintenanceConfig:
    merged = DEFAULT_MAINTENANCE_CONFIG.model_copy()
    if body.dbMaintenanceConfig is not None:
        changes = body.dbMaintenanceConfig.model_dump(exclude_none=True)
        merged = merged.model_copy(update=changes)
    return merged


@router.post("/databases", summary="Create a database")
async def create_database(
    body: CreateDbRequest, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    store = simulator.store
    org = context.org
    template = store.state.templates.get(body.templateId)
    if template is None:
        raise validation_failed("templateId", f"unknown template '{body.templateId}'")
    if template.status != "PUBLISHED":
        raise validation_failed(
            "templateId", f"template '{body.templateId}' is {template.status}, not PUBLISHED"
        )
    environment = _placement(simulator, org, body)
    for other in store.state.databases.values():
        if other.tenantId == org.id and other.instanceName == body.instanceName:
            raise already_exists("instanceName", body.instanceName)
    hw = body.provisioningConfig.hwConfig if body.provisioningConfig else None
    sizing, disk = creation_sizing(store, org, template, hw)
    options = checked_options(template, body.dbOptions, "dbOptions")

    backend = simulator.backends.get(template.serviceType)
    if backend is not None:
        fqdn, ip, port = backend.admin.host, backend.admin.ip, backend.admin.port
    else:
        # Simulated only: a name under a reserved domain that never resolves.
        fqdn = f"{body.instanceName}.{simulator.config.placeholder_domain}"
        ip = ""
        port = body.dbConfig.port or DEFAULT_PORTS[template.serviceType]
    backup = DEFAULT_BACKUP_CONFIG.model_copy()
    if body.dbBackupConfig is not None:
        backup = backup.model_copy(update=body.dbBackupConfig.model_dump(exclude_none=True))
    database = Database(
        id=new_id(),
        instanceName=body.instanceName,
        tenantId=org.id,
        dbType=template.serviceType,
        version=template.version,
        logicalBuildId=template.logicalBuildId,
        status="INIT",
        environment=environment,
        dataStoreName=body.dataStoreName,
        fqdn=fqdn,
        ip=ip,
        dbMgmtIp=ip,
        dbInstanceConfig=DbInstanceConfig(
            port=port,
            adminUser=body.dbConfig.adminUser,
            dbName=body.dbConfig.dbName,
            monitoringType=body.dbConfig.monitoringType,
        ),
        hwConfig=HwConfig(
            hdDiskSizeGB=disk,
            cpuCores=sizing.cpu,
            memoryGB=sizing.memory,
            instancePlanId=sizing.plan_id,
            thinDisk=True if hw is None or hw.thinDisk is None else hw.thinDisk,
        ),
        dbBackupConfig=backup,
        managedDbMaintenanceConfigDTO=_maintenance(body),
        dbOptions=options,
        requireClientSsl=body.requireClientSsl,
        enableProtection=body.enableProtection,
        backend=template.serviceType if backend is not None else None,
        createdBy=context.user.email,
    )
    store.state.databases[database.id] = database
    task = await simulator.runner.submit(
        CREATE_DB,
        context.user.email,
        database,
        "INIT",
        secret_params={"adminPassword": body.dbConfig.adminPassword},
    )
    return {"task_id": task.id}


@router.get("/databases", summary="List databases")
async def list_databases(
    context: OrgMember,
    paging: Paging,
    simulator: SimulatorDep,
    instanceName: Annotated[str | None, Query()] = None,
    environmentId: Annotated[str | None, Query()] = None,
    tenantId: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    items = []
    for database in simulator.store.state.databases.values():
        if database.tenantId != context.org.id:
            continue
        if tenantId is not None and database.tenantId != tenantId:
            continue
        if instanceName is not None and database.instanceName != instanceName:
            continue
        if environmentId is not None and database.environment.environmentId != environmentId:
            continue
        items.append(database.list_item())
    return paginate(items, paging)


@router.get("/databases/{database_id}", summary="Get a database")
async def get_database(
    database_id: str, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    return simulator.store.database(database_id, context.org.id).wire()


@router.delete("/databases/{database_id}", summary="Delete a database")
async def delete_database(
    database_id: str, context: OrgMember, simulator: SimulatorDep
) -> dict[str, Any]:
    database = simulator.store.database(database_id, context.org.id)
    if database.status in BUSY_STATUSES:
        raise invalid_state(
            f"database '{database.instanceName}' is {database.status}; wait until the running "
            "operation ends before deleting it"
        )
    task = await simulator.runner.submit(DELETE_DB, context.user.email, database, "DELETING")
    return {"task_id": task.id}
