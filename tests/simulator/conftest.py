"""Fixtures for the simulator tests: real PostgreSQL and MariaDB servers, a
simulator process that uses them, a simulator with timed tasks, and clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dms_testenv.databases import MariaDbServer, PostgresServer
from dms_testenv.simulator import SimulatorClient, SimulatorProcess

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


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with PostgresServer(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDbServer]:
    with MariaDbServer(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture(scope="session")
def simulator(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    mariadb_server: MariaDbServer,
) -> Iterator[SimulatorProcess]:
    """A simulator whose tasks end at once, backed by the real servers."""
    env = simulator_env(
        DMS_SIM_POSTGRES_ADMIN_URL=postgres_server.admin_url,
        DMS_SIM_MYSQL_ADMIN_URL=mariadb_server.admin_url,
    )
    with SimulatorProcess(
        tmp_path_factory.mktemp("simulator"), simulator_args(), env=env
    ) as process:
        yield process


@pytest.fixture(scope="session")
def dms(simulator: SimulatorProcess) -> Iterator[SimulatorClient]:
    client = Dms(simulator.base_url)
    yield client
    client.close()


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
