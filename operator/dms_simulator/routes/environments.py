"""Environments (`/provider/environments/search/withOrgId`): where an org's
databases can be placed, with their datastores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dms_simulator.auth import AnyRole
from dms_simulator.errors import forbidden
from dms_simulator.paging import Paging, paginate
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator

router = APIRouter(prefix=PREFIX, tags=["environments"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


@router.get("/environments/search/withOrgId", summary="List an org's environments")
async def environments_of_org(
    tenantId: Annotated[str, Query(description="org id")],
    context: AnyRole,
    paging: Paging,
    simulator: SimulatorDep,
) -> dict[str, Any]:
    if not context.is_provider and tenantId != context.org.id:
        raise forbidden(f"tenantId: organization '{tenantId}' is not the user's org")
    environments = [
        environment.wire()
        for environment in simulator.store.state.environments.values()
        if environment.tenantId == tenantId
    ]
    return paginate(environments, paging)
