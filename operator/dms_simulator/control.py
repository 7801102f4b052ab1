"""The test-control API under `/_simulator`, served only with
`--enable-control-api`. It has no authentication: it is for tests on loopback.
It is left out of the OpenAPI schema, so that schema-driven fuzzers never
call it."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dms_simulator.auth import invalidate_tokens
from dms_simulator.backends import BackendError
from dms_simulator.errors import (
    INTERNAL_ERROR,
    DmsError,
    describe_validation_error,
    not_found,
    validation_failed,
)
from dms_simulator.faults import Fault
from dms_simulator.lifecycle import FailRule
from dms_simulator.operations import TASK_TYPES
from dms_simulator.records import Database
from dms_simulator.runtime import Simulator, get_simulator

router = APIRouter(prefix="/_simulator", include_in_schema=False)
SimulatorDep = Annotated[Simulator, Depends(get_simulator)]

# Fields that tie a database to its org and to the real server; never changed out of band.
_FIXED_DATABASE_FIELDS = frozenset({"id", "tenantId", "backend", "realCreated", "createdBy"})


class ControlBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultRequest(ControlBody):
    path: str = Field(description="regular expression searched in the request path")
    kind: Literal["status", "delay", "hang", "drop"] = "status"
    method: str | None = None
    status: int | None = Field(None, ge=400, le=599)
    retryAfter: int | None = Field(None, ge=0)
    delaySeconds: float = Field(0.0, ge=0, le=600)
    hangSeconds: float = Field(300.0, gt=0, le=3600)
    times: int | None = Field(None, ge=1)
    message: str | None = None
    errorType: str | None = None

    @field_validator("path")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"invalid regular expression: {error}") from None
        return value


class TokenRequest(ControlBody):
    email: str | None = None


class FailTaskRequest(ControlBody):
    message: str = "failed by the simulator's control API"
    status: Literal["FAILED", "COMMUNICATION_LOST"] = "FAILED"


class FailNextRequest(FailTaskRequest):
    taskType: str

    @field_validator("taskType")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in TASK_TYPES:
            raise ValueError(f"must be one of {', '.join(TASK_TYPES)}")
        return value


class EnvironmentRequest(ControlBody):
    name: str | None = None
    datastores: list[str] | None = Field(None, min_length=1)
    vcHost: str | None = None
    vcClusterName: str | None = None


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/faults")
async def add_fault(body: FaultRequest, simulator: SimulatorDep) -> dict[str, Any]:
    if body.kind == "status" and body.status is None:
        raise validation_failed("status", "is required for a fault of kind status")
    fault = Fault(**body.model_dump())
    return simulator.faults.add(fault).describe()


@router.get("/faults")
async def list_faults(simulator: SimulatorDep) -> list[dict[str, Any]]:
    return [fault.describe() for fault in simulator.faults.list()]


@router.delete("/faults")
async def clear_faults(simulator: SimulatorDep) -> dict[str, Any]:
    simulator.faults.clear()
    return {"cleared": True}


@router.delete("/faults/{fault_id}")
async def remove_fault(fault_id: str, simulator: SimulatorDep) -> dict[str, Any]:
    if not simulator.faults.remove(fault_id):
        raise not_found("fault", fault_id)
    return {"removed": fault_id}


@router.post("/tokens/expire")
async def expire_tokens(body: TokenRequest, simulator: SimulatorDep) -> dict[str, Any]:
    invalidate_tokens(simulator, "expired", body.email)
    simulator.store.save()
    return {"expired": body.email or "all"}


@router.post("/tokens/revoke")
async def revoke_tokens(body: TokenRequest, simulator: SimulatorDep) -> dict[str, Any]:
    invalidate_tokens(simulator, "revoked", body.email)
    simulator.store.save()
    return {"revoked": body.email or "all"}


@router.post("/tasks/fail-next")
async def fail_next_task(body: FailNextRequest, simulator: SimulatorDep) -> dict[str, Any]:
    simulator.runner.fail_next(body.taskType, FailRule(body.message, body.status))
    return {"taskType": body.taskType, "message": body.message, "status": body.status}


@router.get("/tasks/fail-next")
async def list_fail_next(simulator: SimulatorDep) -> dict[str, Any]:
    rules = simulator.runner.pending_fail_rules()
    return {kind: {"message": r.message, "status": r.status} for kind, r in rules.items()}


@router.delete("/tasks/fail-next")
async def clear_fail_next(simulator: SimulatorDep) -> dict[str, Any]:
    simulator.runner.clear_fail_next()
    return {"cleared": True}


@router.post("/tasks/{task_id}/fail")
async def fail_task(task_id: str, body: FailTaskRequest, simulator: SimulatorDep) -> dict[str, Any]:
    task = simulator.runner.fail_running(task_id, FailRule(body.message, body.status))
    return task.wire()


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@router.patch("/databases/{database_id}")
async def change_database(
    database_id: str, changes: dict[str, Any], simulator: SimulatorDep
) -> dict[str, Any]:
    """Change any field of a database's detail (deep merge), e.g. `{"status": "ERROR"}`."""
    database = simulator.store.database(database_id)
    fixed = sorted(_FIXED_DATABASE_FIELDS & changes.keys())
    if fixed:
        raise validation_failed(fixed[0], "cannot be changed out of band")
    changes.pop("links", None)
    try:
        updated = Database.model_validate(_merge(database.model_dump(mode="json"), changes))
    except ValidationError as error:
        messages = [describe_validation_error(dict(e)) for e in error.errors()[:5]]
        raise validation_failed("body", "; ".join(messages)) from None
    simulator.store.state.databases[database_id] = updated
    simulator.store.save()
    return updated.wire()


@router.delete("/databases/{database_id}")
async def delete_database(database_id: str, simulator: SimulatorDep) -> dict[str, Any]:
    """Remove a database without a task, dropping the real database too."""
    database = simulator.store.database(database_id)
    backend = simulator.backends.get(database.dbType)
    dropped = False
    if backend is not None and database.backend is not None and database.realCreated:
        config = database.dbInstanceConfig
        try:
            await asyncio.to_thread(backend.drop_database, config.dbName, config.adminUser)
        except BackendError as error:
            raise DmsError(502, INTERNAL_ERROR, str(error)) from None
        dropped = True
    simulator.store.state.databases.pop(database_id, None)
    simulator.store.save()
    return {"deleted": database_id, "droppedRealDatabase": dropped}


@router.post("/orgs/{org_id}/environments")
async def add_environment(
    org_id: str, body: EnvironmentRequest, simulator: SimulatorDep
) -> dict[str, Any]:
    org = simulator.store.org(org_id)
    environment = simulator.store.add_environment(
        org,
        name=body.name,
        datastores=body.datastores,
        vc_host=body.vcHost,
        vc_cluster_name=body.vcClusterName,
    )
    simulator.store.save()
    return environment.wire()


@router.get("/requests")
async def list_requests(simulator: SimulatorDep) -> list[dict[str, Any]]:
    return simulator.request_log.entries()


@router.delete("/requests")
async def clear_requests(simulator: SimulatorDep) -> dict[str, Any]:
    simulator.request_log.clear()
    return {"cleared": True}
