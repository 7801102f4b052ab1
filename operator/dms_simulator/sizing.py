"""Checks of database sizing and options against the template and the org's
instance mode: a PLANS_MODE org sizes by instance plan, a FREE_MODE org by
cpu and memory, and every size must fit the template's systemDefaults."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dms_simulator.errors import validation_failed
from dms_simulator.records import Database, DbOption, Org, Template
from dms_simulator.schemas import DbOptionRequest, HwConfigRequest, ScaleRequest
from dms_simulator.store import Store

_HW_FIELD = "provisioningConfig.hwConfig"
_INTEGER = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class Sizing:
    cpu: int
    memory: int
    plan_id: str | None


def check_range(template: Template, kind: str, value: int, field: str) -> None:
    """Require `value` within the template's min..max for cpu, memory or disk."""
    limits = getattr(template.systemDefaults, kind)
    low, high = int(limits["min"]), int(limits["max"])
    if not low <= value <= high:
        raise validation_failed(
            field,
            f"{value} is outside {low}..{high} allowed by template "
            f"{template.serviceType} {template.version}",
        )


def _plan_sizing(store: Store, template: Template, plan_id: str, field: str) -> Sizing:
    plan = store.live_plan(plan_id)
    if plan is None:
        raise validation_failed(field, f"unknown instance plan '{plan_id}'")
    check_range(template, "cpu", plan.cpu, field)
    check_range(template, "memory", plan.memory, field)
    return Sizing(cpu=plan.cpu, memory=plan.memory, plan_id=plan.id)


def _free_sizing(
    template: Template,
    org: Org,
    cpu: int,
    memory: int,
    cpu_field: str,
    memory_field: str,
    plan_field: str,
) -> Sizing:
    if org.instanceMode == "PLANS_MODE":
        raise validation_failed(plan_field, "must not be null in a PLANS_MODE org")
    check_range(template, "cpu", cpu, cpu_field)
    check_range(template, "memory", memory, memory_field)
    return Sizing(cpu=cpu, memory=memory, plan_id=None)


def creation_sizing(
    store: Store, org: Org, template: Template, hw: HwConfigRequest | None
) -> tuple[Sizing, int]:
    """Return the sizing and disk (GB) of a new database."""
    hw = hw or HwConfigRequest()
    defaults = template.systemDefaults
    plan_field = f"{_HW_FIELD}.instancePlanId"
    if hw.instancePlanId is not None:
        if hw.cpuCores is not None or hw.memoryGB is not None:
            raise validation_failed(plan_field, "cannot be combined with cpuCores or memoryGB")
        sizing = _plan_sizing(store, template, hw.instancePlanId, plan_field)
    else:
        sizing = _free_sizing(
            template,
            org,
            hw.cpuCores if hw.cpuCores is not None else int(defaults.cpu["defaultCPU"]),
            hw.memoryGB if hw.memoryGB is not None else int(defaults.memory["defaultMemory"]),
            f"{_HW_FIELD}.cpuCores",
            f"{_HW_FIELD}.memoryGB",
            plan_field,
        )
    disk = hw.hdDiskSizeGB if hw.hdDiskSizeGB is not None else int(defaults.disk["defaultDisk"])
    check_range(template, "disk", disk, f"{_HW_FIELD}.hdDiskSizeGB")
    return sizing, disk


def scaled_sizing(
    store: Store, org: Org, template: Template, database: Database, body: ScaleRequest
) -> Sizing:
    """Return the sizing that a scale-db-config request sets."""
    if body.instanceTypeId is not None:
        if body.cpu is not None or body.memory is not None:
            raise validation_failed("instanceTypeId", "cannot be combined with cpu or memory")
        return _plan_sizing(store, template, body.instanceTypeId, "instanceTypeId")
    if body.cpu is None and body.memory is None:
        raise validation_failed("cpu", "one of instanceTypeId, cpu or memory is required")
    return _free_sizing(
        template,
        org,
        body.cpu if body.cpu is not None else database.hwConfig.cpuCores,
        body.memory if body.memory is not None else database.hwConfig.memoryGB,
        "cpu",
        "memory",
        "instanceTypeId",
    )


def checked_options(
    template: Template, options: list[DbOptionRequest], field: str
) -> list[DbOption]:
    """Require each option to be one the template lists, with a value of its type."""
    known = {option.key: option for option in template.dbOptions}
    seen: set[str] = set()
    checked: list[DbOption] = []
    for index, option in enumerate(options):
        item = f"{field}[{index}]"
        spec = known.get(option.key)
        if spec is None:
            raise validation_failed(
                f"{item}.key",
                f"unknown option '{option.key}' for {template.serviceType} {template.version}; "
                f"known options: {', '.join(sorted(known))}",
            )
        if option.key in seen:
            raise validation_failed(f"{item}.key", f"option '{option.key}' is given twice")
        seen.add(option.key)
        if spec.type == "INTEGER" and not _INTEGER.match(option.value):
            raise validation_failed(f"{item}.value", f"option '{option.key}' takes an integer")
        checked.append(DbOption(key=option.key, value=option.value))
    return checked
