"""The operator's DMS client against the running simulator, over real HTTP and TLS.

Unit tests check the client against a fake transport. These check it against the
simulator that replaces DMS here: every error class, token expiry in the middle of an
operation, a custom CA, and a database that really accepts connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from dms_operator.clients.dms import (
    DMSAlreadyExistsError,
    DMSAuthenticationError,
    DMSClientPool,
    DMSForbiddenError,
    DMSInvalidRequestError,
    DMSNotFoundError,
    DMSRateLimitedError,
    DMSServerError,
    DMSSession,
    DMSTimeoutError,
    DMSTransportError,
)
from dms_operator.models.credentials import DMSCredentials
from dms_operator.models.dms import (
    CreateDatabaseRequest,
    DbConfig,
    HwConfig,
    OrgCreate,
    ProvisioningConfig,
    Task,
    UserCreate,
)
from dms_operator.settings import OperatorSettings
from dms_testenv.databases import PostgresServer
from dms_testenv.simulator import SimulatorClient, SimulatorProcess, unique_name

pytestmark = pytest.mark.databases

PROVIDER_EMAIL = "provider@client-test.example"
PROVIDER_PASSWORD = "Provider1!"
ORG_ADMIN_PASSWORD = "Orgadmin1!"
POSTGRES_12 = "00000003-0000-0000-0000-000000001270"


def _simulator_env(**extra: str) -> dict[str, str]:
    return {
        "DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL,
        "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD,
        **extra,
    }


@pytest.fixture(scope="module")
def tls_simulator(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[tuple[SimulatorProcess, str]]:
    """An HTTPS simulator backed by PostgreSQL, and its CA certificate (PEM)."""
    workdir = tmp_path_factory.mktemp("client-simulator")
    ca_file = workdir / "ca.crt"
    process = SimulatorProcess(
        workdir,
        ["--tls", f"--tls-ca-file={ca_file}", "--enable-control-api", "--log-level", "WARNING"],
        env=_simulator_env(DMS_SIM_POSTGRES_ADMIN_URL=postgres_server.admin_url),
    )
    with process:
        yield process, Path(ca_file).read_text()


@pytest.fixture(scope="module")
def control(tls_simulator: tuple[SimulatorProcess, str]) -> Iterator[SimulatorClient]:
    process, _ = tls_simulator
    client = SimulatorClient(process.base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD, verify=False)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _clear_faults(control: SimulatorClient) -> Iterator[None]:
    yield
    control.control("DELETE", "/faults")


def _settings(**overrides: Any) -> OperatorSettings:
    values: dict[str, Any] = {
        "dms_retry_attempts": 3,
        "dms_retry_backoff_base_seconds": 0.01,
        "dms_retry_backoff_max_seconds": 0.05,
        "dms_read_timeout_seconds": 5.0,
        **overrides,
    }
    return OperatorSettings(**values)


@pytest.fixture
async def pool() -> AsyncIterator[DMSClientPool]:
    client_pool = DMSClientPool(_settings())
    yield client_pool
    await client_pool.aclose()


def _credentials(
    simulator: tuple[SimulatorProcess, str], email: str, password: str, **extra: Any
) -> DMSCredentials:
    process, ca_pem = simulator
    values: dict[str, Any] = {
        "endpoint": process.base_url,
        "username": email,
        "password": SecretStr(password),
        "ca_pem": ca_pem,
        **extra,
    }
    return DMSCredentials(**values)


async def _tenant_admin(
    pool: DMSClientPool, simulator: tuple[SimulatorProcess, str]
) -> tuple[DMSSession, str]:
    """Create an org and its ORG_ADMIN with the provider login; return the admin's session."""
    provider = pool.session_for(_credentials(simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
    org = await provider.create_org(
        OrgCreate(
            company_name=unique_name("client"),
            email="dba@client.example",
            instance_mode="FREE_MODE",
        )
    )
    email = f"{unique_name('admin')}@client.example"
    await provider.create_user(
        UserCreate(
            first_name="Org",
            last_name="Admin",
            email=email,
            password=SecretStr(ORG_ADMIN_PASSWORD),
            tenant_id=org.id,
            roles=["ORG_ADMIN"],
        )
    )
    return pool.session_for(_credentials(simulator, email, ORG_ADMIN_PASSWORD)), org.id


async def _wait_for_task(session: DMSSession, org_id: str, task_id: str) -> Task:
    for _ in range(200):
        task = await session.get_task(org_id, task_id)
        if not task.is_running:
            return task
        await asyncio.sleep(0.05)
    pytest.fail(f"task {task_id} still running after 200 polls")


async def test_database_lifecycle_connects(
    pool: DMSClientPool, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    admin, org_id = await _tenant_admin(pool, tls_simulator)
    assert await admin.default_org_id() == org_id
    environment = (await admin.list_environments(org_id))[0]
    name = unique_name("pg")
    password = "Dbadmin1!x"
    request = CreateDatabaseRequest(
        environment_id=environment.id,
        template_id=POSTGRES_12,
        instance_name=name,
        data_store_name=environment.default_datastore().datastore_name,  # type: ignore[union-attr]
        provisioning_config=ProvisioningConfig(
            type="SINGLE_NODE", hw_config=HwConfig(cpu_cores=2, memory_gb=4, hd_disk_size_gb=40)
        ),
        db_config=DbConfig(
            db_name=name.replace("-", "_"),
            admin_user=f"u_{name.replace('-', '_')}",
            admin_password=SecretStr(password),
            monitoring_type="NORMAL",
        ),
    )
    task = await _wait_for_task(
        admin, org_id, (await admin.create_database(org_id, request)).task_id
    )
    assert task.succeeded, task.error_message

    found = await admin.list_databases(org_id, instance_name=name)
    assert [d.instance_name for d in found] == [name]
    database = await admin.get_database(org_id, found[0].id)
    assert database.status == "ONLINE"
    with psycopg.connect(
        host=database.connection_host,
        port=database.port,
        dbname=name.replace("-", "_"),
        user=f"u_{name.replace('-', '_')}",
        password=password,
        connect_timeout=10,
    ) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)

    deleted = await _wait_for_task(
        admin, org_id, (await admin.delete_database(org_id, database.id)).task_id
    )
    assert deleted.succeeded
    with pytest.raises(DMSNotFoundError):
        await admin.get_database(org_id, database.id)


async def test_wrong_password_is_authentication_error(
    pool: DMSClientPool, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    session = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, "Wrong1!pass"))
    with pytest.raises(DMSAuthenticationError) as raised:
        await session.list_templates()
    assert "Wrong1!pass" not in str(raised.value)


async def test_provider_on_database_route_forbidden(
    pool: DMSClientPool, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    provider = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
    org_id = await provider.default_org_id()
    with pytest.raises(DMSForbiddenError):
        await provider.list_databases(org_id)


async def test_unknown_database_not_found(
    pool: DMSClientPool, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    admin, org_id = await _tenant_admin(pool, tls_simulator)
    with pytest.raises(DMSNotFoundError):
        await admin.get_database(org_id, "00000000-0000-0000-0000-000000000000")


async def test_duplicate_org_already_exists(
    pool: DMSClientPool, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    provider = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
    request = OrgCreate(
        company_name=unique_name("dup"), email="dup@client.example", instance_mode="FREE_MODE"
    )
    await provider.create_org(request)
    with pytest.raises(DMSAlreadyExistsError):
        await provider.create_org(request)


async def test_invalid_password_names_field(
    pool: DMSClientPool, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    provider = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
    org = await provider.create_org(
        OrgCreate(
            company_name=unique_name("weak"), email="w@client.example", instance_mode="FREE_MODE"
        )
    )
    with pytest.raises(DMSInvalidRequestError) as raised:
        await provider.create_user(
            UserCreate(
                first_name="Weak",
                last_name="Password",
                email=f"{unique_name('weak')}@client.example",
                password=SecretStr("short"),
                tenant_id=org.id,
                roles=["ORG_USER"],
            )
        )
    assert "password" in str(raised.value)
    assert "short" not in str(raised.value).replace("password", "")


async def test_rate_limit_carries_retry_after(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    pool = DMSClientPool(_settings(dms_retry_attempts=1))
    try:
        session = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
        await session.list_templates()
        control.control(
            "POST", "/faults", json={"path": "/templates", "status": 429, "retryAfter": 7}
        ).raise_for_status()
        with pytest.raises(DMSRateLimitedError) as raised:
            await session.list_templates()
        assert raised.value.retry_after == 7
    finally:
        await pool.aclose()


async def test_server_error_retried_then_raised(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str], pool: DMSClientPool
) -> None:
    session = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
    await session.list_templates()
    control.control("DELETE", "/requests")
    control.control(
        "POST", "/faults", json={"path": "/templates", "status": 503}
    ).raise_for_status()
    with pytest.raises(DMSServerError):
        await session.list_templates()
    log = control.control("GET", "/requests").json()
    attempts = [entry for entry in log if entry["path"].endswith("/templates")]
    assert len(attempts) == 3


async def test_transient_server_error_recovers(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str], pool: DMSClientPool
) -> None:
    session = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
    control.control(
        "POST", "/faults", json={"path": "/templates", "status": 502, "times": 1}
    ).raise_for_status()
    templates = await session.list_templates()
    assert any(t.logical_build_id == POSTGRES_12 for t in templates)


async def test_slow_response_times_out(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    pool = DMSClientPool(_settings(dms_read_timeout_seconds=0.5, dms_retry_attempts=1))
    try:
        session = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
        await session.list_templates()
        control.control(
            "POST", "/faults", json={"path": "/templates", "kind": "delay", "delaySeconds": 3}
        ).raise_for_status()
        with pytest.raises(DMSTimeoutError):
            await session.list_templates()
    finally:
        await pool.aclose()


async def test_dropped_connection_is_transport_error(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str]
) -> None:
    pool = DMSClientPool(_settings(dms_retry_attempts=1))
    try:
        session = pool.session_for(_credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD))
        await session.list_templates()
        control.control(
            "POST", "/faults", json={"path": "/templates", "kind": "drop"}
        ).raise_for_status()
        with pytest.raises(DMSTransportError):
            await session.list_templates()
    finally:
        await pool.aclose()


async def test_expired_token_mid_operation(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str], pool: DMSClientPool
) -> None:
    admin, org_id = await _tenant_admin(pool, tls_simulator)
    before = await admin.list_environments(org_id)
    control.control("POST", "/tokens/expire", json={}).raise_for_status()
    control.control("DELETE", "/requests")
    after = await admin.list_environments(org_id)
    assert [e.id for e in after] == [e.id for e in before]
    statuses = [(e["path"], e["status"]) for e in control.control("GET", "/requests").json()]
    assert any(status == 401 for _, status in statuses)
    assert any(path.endswith("/session") and status == 200 for path, status in statuses)


async def test_revoked_token_relogs_in(
    control: SimulatorClient, tls_simulator: tuple[SimulatorProcess, str], pool: DMSClientPool
) -> None:
    admin, org_id = await _tenant_admin(pool, tls_simulator)
    await admin.list_environments(org_id)
    control.control("POST", "/tokens/revoke", json={}).raise_for_status()
    environments = await admin.list_environments(org_id)
    assert environments


async def test_tls_without_ca_rejected(
    tls_simulator: tuple[SimulatorProcess, str], pool: DMSClientPool
) -> None:
    session = pool.session_for(
        _credentials(tls_simulator, PROVIDER_EMAIL, PROVIDER_PASSWORD, ca_pem=None)
    )
    with pytest.raises(DMSTransportError) as raised:
        await session.list_templates()
    assert "certificate" in str(raised.value).lower()


async def test_tls_insecure_skip_verify(
    tls_simulator: tuple[SimulatorProcess, str], pool: DMSClientPool
) -> None:
    session = pool.session_for(
        _credentials(
            tls_simulator,
            PROVIDER_EMAIL,
            PROVIDER_PASSWORD,
            ca_pem=None,
            insecure_skip_tls_verify=True,
        )
    )
    assert await session.list_templates()
