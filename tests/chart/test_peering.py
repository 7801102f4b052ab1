"""Two replicas with kopf peering, as the chart starts them: only the oldest one works.

Runs the chart's own container command (the `sh -c` line with the start-time priority)
twice, as the chart's ServiceAccount, with a probe module in place of
dms_operator.main, which prints the name of each DMSDatabase event it receives. The
peering test needs kopf and the chart only, not the operator's handlers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dms_testenv.controlplane import free_port
from tests.chart.cluster import helm_release, kubectl, service_account_kubeconfig, unique
from tests.chart.manifests import container, helm_template
from tests.kube import KubeAPI

pytestmark = [pytest.mark.kube, pytest.mark.slow]

_WAIT_SECONDS = 90.0
PROBE_MODULE = """
import os
import kopf

@kopf.on.event("dms.tanzu.community", "v1alpha1", "dmsdatabases", id="peering-probe")
def seen(name: str, **_: object) -> None:
    print(f"SEEN {name} BY {os.environ['POD_ID']}", flush=True)
"""


def wait_for(condition: Callable[[], bool], description: str) -> None:
    deadline = time.monotonic() + _WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {_WAIT_SECONDS:.0f}s waiting for {description}")


class Replica:
    """One operator process started with the chart's command line."""

    def __init__(self, name: str, script: str, environment: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", script],
                env={**environment, "POD_ID": name},
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def saw(self, database: str) -> bool:
        return f"SEEN {database} BY {self.name}" in self.output()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def database(name: str) -> str:
    return json.dumps(
        {
            "apiVersion": "dms.tanzu.community/v1alpha1",
            "kind": "DMSDatabase",
            "metadata": {"name": name},
            "spec": {
                "credentialsSecretRef": {"name": "dms-login"},
                "engine": "MySQL",
                "version": "8.0",
            },
        }
    )


def peers(api: KubeAPI, namespace: str, name: str) -> dict[str, Any]:
    body = json.loads(kubectl(api, "get", "kopfpeering", name, "-n", namespace, "-o", "json"))
    status: dict[str, Any] = body.get("status") or {}
    return status


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        replica.stop()


def test_oldest_replica_works_alone(
    kube_api: KubeAPI, namespace: str, tmp_path: Path, replicas: list[Replica]
) -> None:
    release = unique("peer")
    fullname = f"{release}-dms-operator"
    values = ("--set", "replicas=2", "--set", f"watchNamespaces={{{namespace}}}")
    [script] = container(
        helm_template(kube_api.helm, *values, release=release, namespace=namespace)
    )["args"]
    assert "--module=dms_operator.main" in script
    assert "--liveness=http://0.0.0.0:8080/healthz" in script
    (tmp_path / "peering_probe.py").write_text(PROBE_MODULE)

    with helm_release(kube_api, release, namespace, *values):
        config = service_account_kubeconfig(kube_api, namespace, fullname, tmp_path / "sa")
        environment = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(tmp_path),
            "KUBECONFIG": str(config),
            "HOME": str(tmp_path),
        }

        def start(name: str) -> Replica:
            local = script.replace("--module=dms_operator.main", "--module=peering_probe")
            local = local.replace("0.0.0.0:8080", f"127.0.0.1:{free_port()}")
            replica = Replica(name, local, environment, tmp_path / f"{name}.log")
            replicas.append(replica)
            return replica

        kubectl(kube_api, "apply", "-n", namespace, "-f", "-", input_text=database("first"))
        oldest = start("replica-a")
        wait_for(lambda: oldest.saw("first"), "replica-a to handle DMSDatabase first")

        newest = start("replica-b")
        wait_for(
            lambda: {"replica-a", "replica-b"} <= set(peers(kube_api, namespace, fullname)),
            "both replicas in the KopfPeering",
        )
        status = peers(kube_api, namespace, fullname)
        assert status["replica-a"]["priority"] > status["replica-b"]["priority"]
        assert status["replica-b"]["priority"] < 0

        kubectl(kube_api, "apply", "-n", namespace, "-f", "-", input_text=database("second"))
        wait_for(lambda: oldest.saw("second"), "replica-a to handle DMSDatabase second")
        assert not newest.saw("first"), newest.output()
        assert not newest.saw("second"), newest.output()

        oldest.stop()
        wait_for(lambda: newest.saw("second"), "replica-b to take over")
        assert "Resuming operations after the pause" in newest.output()
        assert newest.saw("first")
