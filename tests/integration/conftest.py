"""Fixtures for the operator's integration tests: the CRDs installed in the test API
server, a simulator whose tasks take half a second (backed by the real PostgreSQL and
MariaDB servers), tenants in it, and one operator process per test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dms_testenv.databases import MariaDbServer, PostgresServer
from dms_testenv.simulator import USER_PASSWORD, SimulatorClient, SimulatorProcess
from tests.integration.operator_env import Cluster, OperatorProcess, Tenant
from tests.kube import KubeAPI, temporary_namespace

ROOT = Path(__file__).resolve().parents[2]
CRDS = [
    ROOT / "crds" / "dmsdatabases.dms.tanzu.community.yaml",
    ROOT / "crds" / "dmsorganizations.dms.tanzu.community.yaml",
]
PROVIDER_EMAIL = "provider@operator-tests.example"
PROVIDER_PASSWORD = "Provider1!"
# Half-second tasks in two steps: long enough to see a task in status, short enough
# to keep the suite fast.
TASK_SECONDS = "0.5"


@pytest.fixture(scope="session")
def crds(kube_api: KubeAPI) -> None:
    """Install the CRDs (they stay installed for the rest of the run)."""
    for path in CRDS:
        applied = kube_api.kubectl_run(
            "apply", "--server-side", "--force-conflicts", "-f", str(path)
        )
        assert applied.returncode == 0, applied.stderr
    waited = kube_api.kubectl_run(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/dmsdatabases.dms.tanzu.community",
        "crd/dmsorganizations.dms.tanzu.community",
    )
    assert waited.returncode == 0, waited.stderr


@pytest.fixture(scope="session")
def operator_simulator(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
    mariadb_server: MariaDbServer,
) -> Iterator[SimulatorProcess]:
    """A simulator with half-second tasks, hosting databases on the real servers."""
    env = {
        "DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL,
        "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD,
        "DMS_SIM_POSTGRES_ADMIN_URL": postgres_server.admin_url,
        "DMS_SIM_MYSQL_ADMIN_URL": mariadb_server.admin_url,
    }
    args = [
        "--enable-control-api",
        "--log-level",
        "WARNING",
        "--task-seconds",
        TASK_SECONDS,
        "--task-steps",
        "2",
    ]
    with SimulatorProcess(
        tmp_path_factory.mktemp("operator-simulator"), args, env=env, name="operator-simulator"
    ) as process:
        yield process


@pytest.fixture(scope="session")
def dms(operator_simulator: SimulatorProcess) -> Iterator[SimulatorClient]:
    """A client of the simulator, logged in as the provider when needed."""
    simulator = SimulatorClient(operator_simulator.base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD)
    yield simulator
    simulator.close()


@pytest.fixture(scope="session")
def new_tenant(dms: SimulatorClient) -> Callable[[], Tenant]:
    """Make a DMS organization with an ORG_ADMIN user."""

    def make() -> Tenant:
        org = dms.create_org()
        _, email = dms.create_user(org["id"], ["ORG_ADMIN"])
        return Tenant(dms, org, email, USER_PASSWORD)

    return make


@pytest.fixture(scope="module")
def module_namespace(kube_api: KubeAPI, crds: None) -> Iterator[str]:
    """A namespace shared by the tests of one module (and its operator)."""
    api = kube_api.api_client()
    with temporary_namespace(api, prefix="operator") as name:
        yield name
    api.close()


@pytest.fixture(scope="module")
def cluster(kube_api: KubeAPI, module_namespace: str) -> Iterator[Cluster]:
    api = kube_api.api_client()
    yield Cluster(api, module_namespace)
    api.close()


@pytest.fixture(scope="module")
def operator(
    kube_api: KubeAPI,
    module_namespace: str,
    operator_simulator: SimulatorProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OperatorProcess]:
    """One operator process for the module, watching the module's namespace."""
    process = OperatorProcess(
        tmp_path_factory.mktemp("operator"), kube_api.kubeconfig, module_namespace
    ).start()
    yield process
    process.stop()
