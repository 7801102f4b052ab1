"""Parsing a DMSDatabase body (as kopf delivers it) into a `DatabaseIntent`. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from dms_operator.models.common import (
    CREATE_REQUESTED_ANNOTATION,
    describe_validation_error,
    is_adoption_allowed,
    is_paused,
)
from dms_operator.models.conditions import READY, Reason, find_condition
from dms_operator.models.database import DMSDatabaseSpec, TaskStatus
from dms_operator.reconcile.database_types import DatabaseIntent
from dms_operator.reconcile.outcomes import permanent


def parse_database_spec(body: Mapping[str, Any]) -> DMSDatabaseSpec:
    """Validate the spec; raise a permanent `InvalidSpec` problem naming the fields."""
    try:
        return DMSDatabaseSpec.model_validate(body.get("spec") or {})
    except ValidationError as error:
        raise permanent(Reason.INVALID_SPEC, describe_validation_error(error)) from None


def recorded_task(status: Mapping[str, Any]) -> TaskStatus | None:
    """Return status.task, or None when absent or unreadable."""
    raw = status.get("task")
    if not raw:
        return None
    try:
        return TaskStatus.model_validate(raw)
    except ValidationError:
        return None


def database_intent(body: Mapping[str, Any]) -> DatabaseIntent:
    """Return the intent of a DMSDatabase body, with the spec's defaults applied."""
    metadata = body.get("metadata") or {}
    name = str(metadata.get("name"))
    spec = parse_database_spec(body)
    try:
        instance_name = spec.effective_instance_name(name)
        database_name = spec.effective_database_name(name)
        secret_name = spec.effective_connection_secret_name(name)
    except ValueError as error:
        raise permanent(Reason.INVALID_SPEC, str(error)) from None
    annotations: Mapping[str, str] = metadata.get("annotations") or {}
    status: Mapping[str, Any] = body.get("status") or {}
    ready = find_condition(status.get("conditions") or [], READY) or {}
    return DatabaseIntent(
        namespace=str(metadata.get("namespace")),
        name=name,
        uid=str(metadata.get("uid")),
        generation=int(metadata.get("generation") or 0),
        spec=spec,
        instance_name=instance_name,
        database_name=database_name,
        admin_username=spec.effective_admin_username(),
        port=spec.effective_port(),
        connection_secret_name=secret_name,
        paused=is_paused(annotations),
        adopt=is_adoption_allowed(annotations),
        create_requested=bool(annotations.get(CREATE_REQUESTED_ANNOTATION)),
        recorded_id=status.get("id") or None,
        recorded_org_id=status.get("organizationId") or None,
        recorded_task=recorded_task(status),
        recorded_dms_status=status.get("dmsStatus") or None,
        observed_generation=status.get("observedGeneration"),
        ready_reason=ready.get("reason"),
        ready_message=ready.get("message"),
    )
