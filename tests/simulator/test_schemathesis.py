"""A bounded, deterministic schemathesis run against the simulator's OpenAPI
schema, authenticated as the provider admin and as an org admin: no request
may get a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from dms_simulator.app import create_app
from dms_simulator.config import SimulatorConfig
from dms_testenv.simulator import DmsSession, SimulatorClient, SimulatorProcess

PROVIDER_EMAIL = "provider@sim.example"
PROVIDER_PASSWORD = "Provider1!"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzzed_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    """A simulator of its own, so the fuzzer's records do not disturb other tests."""
    env = {"DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL, "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD}
    workdir: Path = tmp_path_factory.mktemp("fuzzed-simulator")
    with SimulatorProcess(workdir, ["--log-level", "WARNING"], env=env, name="fuzzed") as process:
        yield process


@pytest.fixture(scope="module")
def sessions(fuzzed_simulator: SimulatorProcess) -> Iterator[dict[str, DmsSession]]:
    client = SimulatorClient(fuzzed_simulator.base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD)
    tenant = client.tenant()
    # One database, so that routes with a database id have a real target too.
    client.create_db(tenant)
    yield {"provider": client.provider(), "org_admin": tenant.admin}
    client.close()


# The schema comes from an in-process app, because collection happens before
# any fixture starts the simulator; the cases are sent to the running process.
# test_openapi_matches_running_simulator checks that both serve the same schema.
schema = schemathesis.openapi.from_dict(create_app(SimulatorConfig()).openapi())


FUZZ_SETTINGS = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
fuzzed_operations = schema.exclude(path="/provider/session/logout")


def check_case(case: schemathesis.Case, base_url: str, session: DmsSession) -> None:
    response = case.call(base_url=base_url, headers=session.headers())
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} returned {response.status_code}: "
        f"{response.text[:300]}"
    )
    if response.status_code >= 400 and response.content:
        assert set(response.json()) == {"message", "errorCodes"}


@fuzzed_operations.parametrize()
@FUZZ_SETTINGS
def test_provider_gets_no_server_errors(
    case: schemathesis.Case,
    sessions: dict[str, DmsSession],
    fuzzed_simulator: SimulatorProcess,
) -> None:
    check_case(case, fuzzed_simulator.base_url, sessions["provider"])


@fuzzed_operations.parametrize()
@FUZZ_SETTINGS
def test_org_admin_gets_no_server_errors(
    case: schemathesis.Case,
    sessions: dict[str, DmsSession],
    fuzzed_simulator: SimulatorProcess,
) -> None:
    check_case(case, fuzzed_simulator.base_url, sessions["org_admin"])


def test_openapi_matches_running_simulator(fuzzed_simulator: SimulatorProcess) -> None:
    served = httpx.get(f"{fuzzed_simulator.base_url}/openapi.json", timeout=30).json()
    assert served == schema.raw_schema
