"""State survives a restart with --state-file: records, tokens and running tasks."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from dms_testenv.simulator import DB_PASSWORD, SimulatorClient, SimulatorProcess


def test_restart_keeps_state_and_tokens(
    tmp_path: Path,
    make_simulator: Callable[..., SimulatorProcess],
    client_for: Callable[..., SimulatorClient],
) -> None:
    state_file = tmp_path / "state.json"
    process = make_simulator("--state-file", str(state_file), name="persistent")
    before = client_for(process.base_url)
    tenant = before.tenant()
    _, database = before.create_db(tenant)
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert DB_PASSWORD not in state_file.read_text()

    process.restart()
    after = client_for(process.base_url)
    # The token issued before the restart still works.
    seen = after.call("GET", f"/databases/{database['id']}", tenant.admin)
    assert seen.status_code == 200
    assert seen.json()["status"] == "ONLINE"
    org = after.call("GET", f"/orgs/{tenant.org['id']}", tenant.admin)
    assert org.json()["companyName"] == tenant.org["companyName"]
    new_database = after.create_db(tenant)[1]
    assert new_database["status"] == "ONLINE"


def test_unfinished_task_resumes_after_restart(
    tmp_path: Path,
    make_simulator: Callable[..., SimulatorProcess],
    client_for: Callable[..., SimulatorClient],
) -> None:
    state_file = tmp_path / "state.json"
    process = make_simulator(
        "--state-file", str(state_file), "--task-seconds", "2", name="resuming"
    )
    before = client_for(process.base_url)
    tenant = before.tenant()
    response = before.call("POST", "/databases", tenant.admin, json=before.db_body(tenant))
    task_id = response.json()["task_id"]
    assert before.task(tenant.admin, task_id)["status"] == "IN_PROGRESS"
    # The password of the running CREATE_DB task is kept until the task ends.
    assert DB_PASSWORD in state_file.read_text()

    process.restart()
    after = client_for(process.base_url)
    task = after.wait_task(tenant.admin, task_id)
    assert task["status"] == "SUCCESS"
    database = after.call("GET", f"/databases/{task['dbDetails']['id']}", tenant.admin)
    assert database.json()["status"] == "ONLINE"
    assert DB_PASSWORD not in state_file.read_text()
