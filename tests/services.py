"""Helpers shared by the fixtures that start the DMS simulator for tests."""

from __future__ import annotations

from typing import Any

from dms_testenv.simulator import SimulatorClient

PROVIDER_EMAIL = "provider@sim.example"
PROVIDER_PASSWORD = "Provider1!"


class Dms(SimulatorClient):
    """The client with the test simulators' provider login."""

    def __init__(self, base_url: str, verify: Any = True) -> None:
        super().__init__(base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD, verify=verify)


def simulator_args(*extra: str) -> list[str]:
    return ["--enable-control-api", "--log-level", "WARNING", *extra]


def simulator_env(**extra: str) -> dict[str, str]:
    return {
        "DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL,
        "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD,
        **extra,
    }
