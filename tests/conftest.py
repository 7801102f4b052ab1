"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from dms_testenv.databases import MariaDbServer, PostgresServer
from dms_testenv.simulator import SimulatorClient, SimulatorProcess
from tests.kube import KubeAPI, kube_api_session, temporary_namespace
from tests.services import Dms, simulator_args, simulator_env


@pytest.fixture(scope="session")
def kube_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeAPI]:
    """A real API server: started once per run, or the cluster named by KUBECONFIG."""
    with kube_api_session(tmp_path_factory.mktemp("controlplane")) as api:
        yield api


@pytest.fixture(scope="session")
def kube_client(kube_api: KubeAPI) -> Iterator[client.ApiClient]:
    api = kube_api.api_client()
    yield api
    api.close()


@pytest.fixture
def namespace(kube_client: client.ApiClient) -> Iterator[str]:
    """A fresh namespace for one test."""
    with temporary_namespace(kube_client) as name:
        yield name


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
