"""The `Simulator` object that contains the parts of a running simulator, and the
dependency that hands it to route code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from dms_simulator.config import SimulatorConfig
from dms_simulator.store import Store

if TYPE_CHECKING:
    from dms_simulator.backends import Backend
    from dms_simulator.faults import FaultRegistry
    from dms_simulator.lifecycle import TaskRunner
    from dms_simulator.requestlog import RequestLog


@dataclass
class Simulator:
    config: SimulatorConfig
    store: Store
    # Real database servers by engine ("POSTGRES", "MYSQL"); absent engines are simulated.
    backends: dict[str, Backend]
    runner: TaskRunner
    faults: FaultRegistry
    request_log: RequestLog
    base_url: str = field(default="")


def get_simulator(request: Request) -> Simulator:
    simulator: Simulator = request.app.state.simulator
    return simulator
