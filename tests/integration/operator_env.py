"""Helpers for running the operator against the test API server and the simulator.

`OperatorProcess` runs `python -m dms_operator --namespace NS --standalone` as a child
process, the way users run it, so a test can kill it with SIGKILL and start it again.
`Cluster` creates and reads objects in one namespace through the kubernetes client.
`wait_for` polls a condition with a bound and reports the last value it saw.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
from kubernetes import client

from dms_testenv.databases import free_port
from dms_testenv.simulator import POSTGRES_12_TEMPLATE, SimulatorClient

GROUP = "dms.tanzu.community"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
DATABASES = "dmsdatabases"
ORGANIZATIONS = "dmsorganizations"
# Bounds every wait on the operator; a healthy run needs a few seconds per step.
WAIT_SECONDS = 90.0
_POLL_SECONDS = 0.25

ValueT = TypeVar("ValueT")

# Timings that keep the tests short: tasks polled every half second, quick error retries.
FAST_SETTINGS = {
    "DMS_OPERATOR_TASK_POLL_DELAY_SECONDS": "0.5",
    "DMS_OPERATOR_ERROR_BACKOFF_BASE_SECONDS": "1",
    "DMS_OPERATOR_ERROR_BACKOFF_MAX_SECONDS": "4",
    "DMS_OPERATOR_DMS_LOGIN_FAILURE_BACKOFF_SECONDS": "1",
    "DMS_OPERATOR_DMS_RETRY_ATTEMPTS": "2",
    "DMS_OPERATOR_DMS_RETRY_BACKOFF_BASE_SECONDS": "0.1",
    "DMS_OPERATOR_DRIFT_TIMER_SECONDS": "1",
}


def wait_for(
    read: Callable[[], ValueT],
    accept: Callable[[ValueT], bool],
    what: str,
    timeout: float = WAIT_SECONDS,
) -> ValueT:
    """Poll `read()` until `accept` holds; fail naming `what` and the last value read."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}; last: {value!r}"
            )
        time.sleep(_POLL_SECONDS)


def unique(prefix: str) -> str:
    """Return `prefix-` plus 6 random hex digits: a valid DMS instance and SQL name base."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


class OperatorProcess:
    """One operator process watching one namespace; its log is `<workdir>/operator-N.log`."""

    def __init__(self, workdir: Path, kubeconfig: str, namespace: str, **env: str) -> None:
        self.workdir = workdir
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.metrics_port = free_port()
        self.env = {**FAST_SETTINGS, "DMS_OPERATOR_METRICS_PORT": str(self.metrics_port), **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_file = workdir / "operator-0.log"

    def start(self) -> OperatorProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.log_file = self.workdir / f"operator-{self.starts}.log"
        environment = {**os.environ, "KUBECONFIG": self.kubeconfig, **self.env}
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dms_operator",
                    "--namespace",
                    self.namespace,
                    "--standalone",
                    "--verbose",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,
            )
        return self

    def freeze(self) -> None:
        """SIGSTOP: the process keeps its connections open but reads no response."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL: the operator gets no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def metric(self, name: str, **labels: str) -> float:
        """Return the value of one sample from the operator's /metrics endpoint (0 if absent)."""
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10).text
        wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        for line in text.splitlines():
            sample, _, value = line.rpartition(" ")
            if sample == (f"{name}{{{wanted}}}" if wanted else name):
                return float(value)
        return 0.0

    def log_text(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.workdir.glob("operator-*.log"))
        )

    def assert_no_secret_in_log(self, *secrets: str) -> None:
        text = self.log_text()
        for secret in secrets:
            assert secret not in text, "a password appears in the operator log"


class Cluster:
    """Objects in one namespace of the test API server."""

    def __init__(self, api: client.ApiClient, namespace: str) -> None:
        self.namespace = namespace
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)

    # Custom resources

    def create(
        self, plural: str, kind: str, name: str, spec: Mapping[str, Any], **metadata: Any
    ) -> None:
        body = {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {"name": name, **metadata},
            "spec": dict(spec),
        }
        self.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, body)

    def get(self, plural: str, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, plural, name
            )
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise
        return found

    def patch(self, plural: str, name: str, patch: Mapping[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            plural,
            name,
            dict(patch),
            _content_type="application/merge-patch+json",
        )

    def delete(self, plural: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, name)

    def condition(self, plural: str, name: str, type_: str = "Ready") -> dict[str, Any]:
        found = self.get(plural, name) or {}
        for condition in (found.get("status") or {}).get("conditions") or []:
            if condition.get("type") == type_:
                return dict(condition)
        return {}

    def wait_condition(
        self,
        plural: str,
        name: str,
        status: str,
        reason: str | None = None,
        type_: str = "Ready",
        timeout: float = WAIT_SECONDS,
    ) -> dict[str, Any]:
        def accept(condition: dict[str, Any]) -> bool:
            return condition.get("status") == status and (
                reason is None or condition.get("reason") == reason
            )

        return wait_for(
            lambda: self.condition(plural, name, type_),
            accept,
            f"{plural}/{name} {type_}={status} {reason or ''}",
            timeout,
        )

    def wait_gone(self, plural: str, name: str, timeout: float = WAIT_SECONDS) -> None:
        wait_for(
            lambda: self.get(plural, name),
            lambda found: found is None,
            f"{plural}/{name} to be deleted",
            timeout,
        )

    # Secrets

    def create_secret(self, name: str, values: Mapping[str, str]) -> None:
        body = client.V1Secret(
            metadata=client.V1ObjectMeta(name=name), string_data=dict(values), type="Opaque"
        )
        self.core.create_namespaced_secret(self.namespace, body)

    def replace_secret_values(self, name: str, values: Mapping[str, str]) -> None:
        encoded = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        self.core.patch_namespaced_secret(
            name,
            self.namespace,
            [{"op": "replace", "path": "/data", "value": encoded}],
            _content_type="application/json-patch+json",
        )

    def secret(self, name: str) -> client.V1Secret | None:
        try:
            return self.core.read_namespaced_secret(name, self.namespace)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise

    def secret_values(self, name: str) -> dict[str, str]:
        secret = self.secret(name)
        assert secret is not None, f"Secret {name} not found"
        return {key: base64.b64decode(value).decode() for key, value in (secret.data or {}).items()}

    def delete_secret(self, name: str) -> None:
        self.core.delete_namespaced_secret(name, self.namespace)

    def events(self, name: str, reason: str | None = None) -> list[client.CoreV1Event]:
        listing = self.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        )
        return [item for item in listing.items if reason is None or item.reason == reason]


class Tenant:
    """A DMS organization with an ORG_ADMIN login, and helpers to look into it."""

    def __init__(
        self, dms: SimulatorClient, org: dict[str, Any], email: str, password: str
    ) -> None:
        self.dms = dms
        self.org = org
        self.email = email
        self.password = password

    @property
    def org_id(self) -> str:
        return str(self.org["id"])

    def databases(self, instance_name: str | None = None) -> list[dict[str, Any]]:
        session = self.dms.login(self.email, self.password)
        params = {"size": 2000}
        response = self.dms.call("GET", "/databases", session, params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["content"]
        return [
            item for item in items if instance_name is None or item["instanceName"] == instance_name
        ]

    def database(self, database_id: str) -> dict[str, Any] | None:
        session = self.dms.login(self.email, self.password)
        response = self.dms.call("GET", f"/databases/{database_id}", session)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def create_database(
        self,
        instance_name: str,
        admin_user: str,
        password: str,
        template: str = POSTGRES_12_TEMPLATE,
    ) -> dict[str, Any]:
        """Create a database directly in DMS, as another client would; return its detail."""
        session = self.dms.login(self.email, self.password)
        environment = self.dms.environments(session, self.org_id)[0]
        identifier = instance_name.replace("-", "_")
        body = {
            "environmentId": environment["id"],
            "templateId": template,
            "instanceName": instance_name,
            "dataStoreName": "vsanDatastore",
            "dbConfig": {
                "dbName": identifier,
                "adminUser": admin_user,
                "adminPassword": password,
                "monitoringType": "NORMAL",
            },
        }
        response = self.dms.call("POST", "/databases", session, json=body)
        assert response.status_code == 200, response.text
        task = self.dms.wait_task(session, response.json()["task_id"])
        assert task["status"] == "SUCCESS", task
        found = self.database(task["dbDetails"]["id"])
        assert found is not None
        return found

    def credentials(self) -> dict[str, str]:
        return {"endpoint": self.dms.base_url, "username": self.email, "password": self.password}
