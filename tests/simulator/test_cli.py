"""The `dms-simulator` command line: the ready line, options and start errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from dms_testenv.databases import free_port
from dms_testenv.simulator import SimulatorClient

PROVIDER = ["--provider-email", "provider@sim.example", "--provider-password", "Provider1!"]


@pytest.fixture
def run_cli() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "dms_simulator", "--host", "127.0.0.1", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "DMS_SIM_LOG_LEVEL": "WARNING"},
        )
        processes.append(process)
        return process

    yield run
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_prints_url_and_uses_datastores(
    run_cli: Callable[..., subprocess.Popen[str]],
    client_for: Callable[..., SimulatorClient],
) -> None:
    process = run_cli("--port", "0", "--datastore", "fast", "--datastore", "slow", *PROVIDER)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:")
    client = client_for(url)
    tenant = client.tenant()
    stores = tenant.environment["vcVmDatastores"]["list"]
    assert [(s["datastoreName"], s["isDefault"]) for s in stores] == [
        ("fast", True),
        ("slow", False),
    ]
    process.send_signal(signal.SIGTERM)
    remaining, _ = process.communicate(timeout=30)
    # uvicorn re-raises the signal it stopped on, after a clean shutdown.
    assert process.returncode in (0, -signal.SIGTERM)
    # Exactly one line goes to standard output.
    assert remaining == ""


def test_fixed_port(run_cli: Callable[..., subprocess.Popen[str]]) -> None:
    port = free_port()
    process = run_cli("--port", str(port))
    assert process.stdout is not None
    assert process.stdout.readline().strip() == f"http://127.0.0.1:{port}"


def test_invalid_option_exits_2(run_cli: Callable[..., subprocess.Popen[str]]) -> None:
    process = run_cli("--task-seconds", "-1")
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "task_seconds" in errors


def test_unreachable_backend_fails_without_password(
    run_cli: Callable[..., subprocess.Popen[str]],
) -> None:
    url = f"postgresql://postgres:Sekret9x@127.0.0.1:{free_port()}/postgres"
    process = run_cli("--port", "0", "--postgres-admin-url", url)
    output, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert output == ""
    assert "cannot connect to the PostgreSQL server 127.0.0.1" in errors
    assert "Sekret9x" not in errors
