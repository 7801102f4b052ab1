"""Templates (`/provider/templates`): the engine builds a database is made from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from dms_simulator.auth import AnyRole
from dms_simulator.paging import Paging, paginate
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator

router = APIRouter(prefix=PREFIX, tags=["templates"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


@router.get("/templates", summary="List templates")
async def list_templates(
    context: AnyRole, paging: Paging, simulator: SimulatorDep
) -> dict[str, Any]:
    templates = [template.wire() for template in simulator.store.state.templates.values()]
    return paginate(templates, paging)
