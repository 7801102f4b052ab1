"""Fixtures for the simulator tests: a simulator with timed tasks, and factories for
extra simulators and clients. The shared servers and the default simulator are in
tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dms_testenv.simulator import SimulatorClient, SimulatorProcess
from tests.services import Dms, simulator_args, simulator_env


@pytest.fixture(scope="session")
def timed_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    """A simulated-only simulator whose tasks take one second in four steps."""
    with SimulatorProcess(
        tmp_path_factory.mktemp("timed-simulator"),
        simulator_args("--task-seconds", "1.0", "--task-steps", "4"),
        env=simulator_env(),
        name="timed-simulator",
    ) as process:
        yield process


@pytest.fixture(scope="session")
def timed_dms(timed_simulator: SimulatorProcess) -> Iterator[SimulatorClient]:
    client = Dms(timed_simulator.base_url)
    yield client
    client.close()


@pytest.fixture
def client_for() -> Iterator[Callable[..., SimulatorClient]]:
    """Make clients for extra simulators; all are closed after the test."""
    clients: list[SimulatorClient] = []

    def make(base_url: str, verify: Any = True) -> SimulatorClient:
        client = Dms(base_url, verify=verify)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_simulator(tmp_path: Path) -> Iterator[Callable[..., SimulatorProcess]]:
    """Start extra simulators for one test; all are stopped after it."""
    started: list[SimulatorProcess] = []

    def start(*args: str, name: str = "simulator", **env: str) -> SimulatorProcess:
        process = SimulatorProcess(
            tmp_path / name, simulator_args(*args), env=simulator_env(**env), name=name
        ).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
