"""Backups (`/provider/backups`): list and get. Readable by every role; users
other than the provider see only their own org's backups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dms_simulator.auth import AnyRole
from dms_simulator.errors import not_found
from dms_simulator.paging import Paging, paginate
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator

router = APIRouter(prefix=PREFIX, tags=["backups"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


@router.get("/backups", summary="List backups")
async def list_backups(
    context: AnyRole,
    paging: Paging,
    simulator: SimulatorDep,
    db: Annotated[str | None, Query(description="database id")] = None,
) -> dict[str, Any]:
    items = [
        backup.wire()
        for backup in simulator.store.state.backups.values()
        if (context.is_provider or backup.tenantId == context.org.id)
        and (db is None or backup.dbId == db)
    ]
    return paginate(items, paging)


@router.get("/backups/{backup_id}", summary="Get a backup")
async def get_backup(backup_id: str, context: AnyRole, simulator: SimulatorDep) -> dict[str, Any]:
    backup = simulator.store.state.backups.get(backup_id)
    if backup is None or not (context.is_provider or backup.tenantId == context.org.id):
        raise not_found("backup", backup_id)
    return backup.wire()
