"""The DMS API routes, one module per area, all under `/provider`."""

from __future__ import annotations

from fastapi import APIRouter

from dms_simulator.routes import (
    backups,
    database_actions,
    databases,
    environments,
    orgs,
    plans,
    sessions,
    tasks,
    templates,
    users,
)


def build_router() -> APIRouter:
    # Each module's router carries the /provider prefix itself, so every route's
    # `path` is the full templated path (the request log records it).
    router = APIRouter()
    for module in (
        sessions,
        orgs,
        users,
        plans,
        templates,
        environments,
        databases,
        database_actions,
        backups,
        tasks,
    ):
        router.include_router(module.router)
    return router
