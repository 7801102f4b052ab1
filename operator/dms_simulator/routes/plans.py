"""Instance plans (`/provider/instancetype`): named cpu/memory sizes for PLANS_MODE orgs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from dms_simulator.auth import AnyRole, ProviderOnly
from dms_simulator.errors import already_exists, not_found, validation_failed
from dms_simulator.records import Plan, new_id
from dms_simulator.routes.prefix import PREFIX
from dms_simulator.runtime import Simulator, get_simulator
from dms_simulator.schemas import PlanCreateRequest, PlanUpdateRequest

router = APIRouter(prefix=PREFIX, tags=["instance plans"])
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]


def _check_unique_name(simulator: Simulator, name: str, own_id: str | None = None) -> None:
    for plan in simulator.store.state.plans.values():
        if plan.id != own_id and not plan.deleted and plan.name.casefold() == name.casefold():
            raise already_exists("name", name)


@router.get("/instancetype", summary="List instance plans")
async def list_plans(context: AnyRole, simulator: SimulatorDep) -> list[dict[str, Any]]:
    # Deleted plans stay stored for the databases that use them, but are not listed.
    return [plan.wire() for plan in simulator.store.state.plans.values() if not plan.deleted]


@router.post("/instancetype", summary="Create an instance plan")
async def create_plan(
    body: PlanCreateRequest, context: ProviderOnly, simulator: SimulatorDep
) -> dict[str, Any]:
    _check_unique_name(simulator, body.name)
    plan = Plan(id=new_id(), name=body.name, cpu=body.cpu, memory=body.memory)
    simulator.store.state.plans[plan.id] = plan
    simulator.store.save()
    return plan.wire()


@router.put("/instancetype", summary="Update an instance plan")
async def update_plan(
    body: PlanUpdateRequest, context: ProviderOnly, simulator: SimulatorDep
) -> dict[str, Any]:
    plan = simulator.store.live_plan(body.id)
    if plan is None:
        raise validation_failed("id", f"unknown instance plan '{body.id}'")
    _check_unique_name(simulator, body.name, own_id=plan.id)
    plan.name = body.name
    plan.cpu = body.cpu
    plan.memory = body.memory
    simulator.store.save()
    return plan.wire()


@router.delete("/instancetype/{plan_id}", summary="Delete an instance plan")
async def delete_plan(plan_id: str, context: ProviderOnly, simulator: SimulatorDep) -> Response:
    plan = simulator.store.live_plan(plan_id)
    if plan is None:
        raise not_found("instance plan", plan_id)
    plan.deleted = True
    simulator.store.save()
    return Response(status_code=200)
