"""Start and stop the DMS simulator (`python -m dms_simulator`) as a subprocess
on a free 127.0.0.1 port, and return its base URL once it accepts connections; and
`SimulatorClient`, a small synchronous client for tests and the sandbox that
logs in, creates orgs, users and databases, and waits for tasks.

Secrets such as admin URLs go through `env` (the simulator reads
`DMS_SIM_*` variables), so they never show in the process list. The log is
`<workdir>/<name>.log`; its tail is part of every start error.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from dms_testenv import processes
from dms_testenv.databases import DatabaseServerError, stop_process, tail

_START_TIMEOUT_SECONDS = 60.0
_POLL_SECONDS = 0.05
_TASK_TIMEOUT_SECONDS = 60.0

MEDIA_TYPE = "application/vnd.vmware.dms-v1+json"
POSTGRES_12_TEMPLATE = "00000003-0000-0000-0000-000000001270"
MYSQL_8_TEMPLATE = "00000002-0000-0000-0000-000000008023"
# Passwords that satisfy the DMS rule, for throwaway users and databases.
USER_PASSWORD = "Userpass1!"  # noqa: S105
DB_PASSWORD = "Dbpass12!"  # noqa: S105
FINAL_TASK_STATUSES = ("SUCCESS", "FAILED", "COMMUNICATION_LOST")


class SimulatorError(DatabaseServerError):
    """The simulator did not start."""


class SimulatorProcess:
    """One simulator process. `start()` may be called again after `stop()`
    (a restart); with port 0 each start picks a new port."""

    def __init__(
        self,
        workdir: Path,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        name: str = "simulator",
    ) -> None:
        self.workdir = workdir.resolve()
        self.args = list(args)
        self.env = dict(env or {})
        self.name = name
        self.log_file = self.workdir / f"{name}.log"
        self.url_file = self.workdir / f"{name}.url"
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.url_file.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "dms_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--url-file",
            str(self.url_file),
            *self.args,
        ]
        environment = {**os.environ, **self.env}
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,
            )
        record = {
            "pid": self.process.pid,
            "startTime": processes.start_time(self.process.pid),
            "signal": int(signal.SIGTERM),
        }
        (self.workdir / f"{self.name}.json").write_text(json.dumps(record))
        self.base_url = self._wait_for_url()
        return self

    def _wait_for_url(self) -> str:
        assert self.process is not None
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SimulatorError(
                    f"the simulator exited with code {self.process.returncode}; last lines of "
                    f"{self.log_file}:\n{tail(self.log_file)}"
                )
            if self.url_file.exists():
                url = self.url_file.read_text().strip()
                if url and self._accepts_connections(url):
                    return url
            time.sleep(_POLL_SECONDS)
        self.stop()
        raise SimulatorError(
            f"the simulator did not become ready within {_START_TIMEOUT_SECONDS:.0f} s; "
            f"last lines of {self.log_file}:\n{tail(self.log_file)}"
        )

    @staticmethod
    def _accepts_connections(url: str) -> bool:
        parts = urlsplit(url)
        try:
            with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
                return True
        except OSError:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process.pid, signal.SIGTERM)
            self.process.wait()
        (self.workdir / f"{self.name}.json").unlink(missing_ok=True)

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class SimulatorClientError(RuntimeError):
    """The simulator returned an unexpected status."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.request.url.path} returned "
            f"{response.status_code}: {response.text[:500]}"
        )
        self.response = response


@dataclass(frozen=True)
class DmsSession:
    """A logged-in user acting in one org."""

    token: str
    org_id: str
    email: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Org-ID": self.org_id}


@dataclass(frozen=True)
class DmsTenant:
    """A tenant org with one logged-in member and the org's first environment."""

    org: dict[str, Any]
    admin: DmsSession
    environment: dict[str, Any]


def unique_name(prefix: str) -> str:
    """Return `prefix-` plus 8 random hex digits, a valid DMS instance name for a-z prefixes."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise SimulatorClientError(response)
    return response


class SimulatorClient:
    """Calls a running simulator over HTTP, as the provider admin or as org users."""

    def __init__(
        self,
        base_url: str,
        provider_email: str,
        provider_password: str,
        verify: Any = True,
    ) -> None:
        self.base_url = base_url
        self.provider_email = provider_email
        self.provider_password = provider_password
        self.http = httpx.Client(base_url=base_url, timeout=30, verify=verify)
        self._provider: DmsSession | None = None

    def close(self) -> None:
        self.http.close()

    def call(
        self, method: str, path: str, session: DmsSession | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request to `/provider<path>`, authenticated as `session` if given."""
        headers = dict(kwargs.pop("headers", {}))
        if session is not None:
            headers = {**session.headers(), **headers}
        headers.setdefault("Accept", MEDIA_TYPE)
        return self.http.request(method, f"/provider{path}", headers=headers, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request to the control API `/_simulator<path>`."""
        return self.http.request(method, f"/_simulator{path}", **kwargs)

    def login(self, email: str, password: str) -> DmsSession:
        response = _ok(self.call("POST", "/session", json={"email": email, "password": password}))
        token = response.headers["Authorization"].removeprefix("Bearer ")
        org_id = response.json()["orgMemberships"][0]["orgId"]
        return DmsSession(token=token, org_id=org_id, email=email)

    def provider(self) -> DmsSession:
        """Return a session of the provider admin (logged in once, then reused)."""
        if self._provider is None:
            self._provider = self.login(self.provider_email, self.provider_password)
        return self._provider

    def forget_provider(self) -> None:
        """Drop the cached provider session, e.g. after tokens were revoked."""
        self._provider = None

    def create_org(self, instance_mode: str = "FREE_MODE", **fields: Any) -> dict[str, Any]:
        body = {
            "companyName": unique_name("org"),
            "email": "contact@org.example",
            "instanceMode": instance_mode,
            **fields,
        }
        org: dict[str, Any] = _ok(self.call("POST", "/orgs", self.provider(), json=body)).json()
        return org

    def create_user(
        self,
        org_id: str,
        roles: list[str],
        session: DmsSession | None = None,
        password: str = USER_PASSWORD,
    ) -> tuple[dict[str, Any], str]:
        """Create a user in `org_id`; return the user and its email."""
        email = f"{unique_name('user')}@org.example"
        body = {
            "firstName": "Test",
            "lastName": "User",
            "email": email,
            "password": password,
            "tenantId": org_id,
            "roles": roles,
        }
        response = _ok(self.call("POST", "/users", session or self.provider(), json=body))
        return response.json(), email

    def environments(self, session: DmsSession, org_id: str) -> list[dict[str, Any]]:
        response = _ok(
            self.call("GET", "/environments/search/withOrgId", session, params={"tenantId": org_id})
        )
        content: list[dict[str, Any]] = response.json()["content"]
        return content

    def tenant(self, instance_mode: str = "FREE_MODE", role: str = "ORG_ADMIN") -> DmsTenant:
        """Create an org and a member with `role`, and log that member in."""
        org = self.create_org(instance_mode)
        _, email = self.create_user(org["id"], [role])
        member = self.login(email, USER_PASSWORD)
        environment = self.environments(member, org["id"])[0]
        return DmsTenant(org=org, admin=member, environment=environment)

    def db_body(
        self, tenant: DmsTenant, template: str = POSTGRES_12_TEMPLATE, **overrides: Any
    ) -> dict[str, Any]:
        """Return a valid create-database body with unique names; `overrides` replace keys."""
        name = unique_name("db")
        identifier = name.replace("-", "_")
        body: dict[str, Any] = {
            "environmentId": tenant.environment["id"],
            "templateId": template,
            "instanceName": name,
            "dataStoreName": "vsanDatastore",
            "dbConfig": {
                "dbName": identifier,
                "adminUser": "u_" + identifier[3:],
                "adminPassword": DB_PASSWORD,
                "monitoringType": "NORMAL",
            },
        }
        body.update(overrides)
        return body

    def task(self, session: DmsSession, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = _ok(self.call("GET", f"/mastertasks/{task_id}", session)).json()
        return task

    def wait_task(
        self,
        session: DmsSession,
        task_id: str,
        seen: Callable[[dict[str, Any]], None] | None = None,
        timeout: float = _TASK_TIMEOUT_SECONDS,
    ) -> dict[str, Any]:
        """Poll a task until it ends, passing each reading to `seen`; raise TimeoutError
        after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(session, task_id)
            if seen is not None:
                seen(task)
            if task["status"] in FINAL_TASK_STATUSES:
                return task
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} did not end within {timeout} s: {task}")
            time.sleep(_POLL_SECONDS)

    def create_db(
        self, tenant: DmsTenant, body: dict[str, Any] | None = None, **overrides: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Create a database, wait for its task and return (task, database detail)."""
        body = body or self.db_body(tenant, **overrides)
        response = _ok(self.call("POST", "/databases", tenant.admin, json=body))
        task = self.wait_task(tenant.admin, response.json()["task_id"])
        database_id = task["dbDetails"]["id"]
        detail = _ok(self.call("GET", f"/databases/{database_id}", tenant.admin)).json()
        return task, detail
