"""Master tasks (`/provider/mastertasks/{id}`): progress of asynchronous operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from dms_simulator.auth import AnyRole
from dms_simulator.errors import not_found
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator

router = APIRouter(prefix=PREFIX, tags=["tasks"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


@router.get("/mastertasks/{task_id}", summary="Get a task")
async def get_task(task_id: str, context: AnyRole, simulator: SimulatorDep) -> dict[str, Any]:
    task = simulator.store.task(task_id)
    # A task belongs to the org of its database, and the provider can read every task.
    if not context.is_provider and task.tenantId != context.org.id:
        raise not_found("task", task_id)
    return task.wire()
