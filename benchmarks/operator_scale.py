"""Measure the operator with many DMSDatabases: time to Ready, DMS logins, idle cost, memory.

Starts a control plane and the DMS simulator (simulated databases, no database
servers, tasks of half a second), runs the operator as users do
(`python -m dms_operator`), creates N DMSDatabases that share one credentials
Secret, and prints:

- the seconds until all N are Ready, and the DMS requests and logins that took;
- over an idle window of several drift intervals: DMS requests by method, and
  how many of the N resources and their connection Secrets were written;
- the operator's peak resident memory (VmHWM).

Usage: .venv/bin/python benchmarks/operator_scale.py [--databases 50] [--window 30]
"""

from __future__ import annotations

import argparse
import base64
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kubernetes import client, config

from dms_testenv.binaries import ensure_binaries
from dms_testenv.controlplane import ControlPlane, free_port
from dms_testenv.simulator import USER_PASSWORD, SimulatorClient, SimulatorProcess

REPOSITORY = Path(__file__).resolve().parents[1]
GROUP, VERSION, PLURAL = "dms.tanzu.community", "v1alpha1", "dmsdatabases"
NAMESPACE = "bench"
PROVIDER_EMAIL = "provider@bench.example"
PROVIDER_PASSWORD = "Provider1!"  # noqa: S105 (the local simulator's login)


def _ready(resource: dict[str, Any]) -> bool:
    conditions = resource.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _versions(custom: client.CustomObjectsApi, core: client.CoreV1Api) -> dict[str, str]:
    versions = {
        f"db/{r['metadata']['name']}": r["metadata"]["resourceVersion"]
        for r in custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL)["items"]
    }
    for secret in core.list_namespaced_secret(NAMESPACE).items:
        if secret.metadata.name.endswith("-connection"):
            versions[f"secret/{secret.metadata.name}"] = secret.metadata.resource_version
    return versions


def _peak_memory_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(databases: int, window: float, drift_interval: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dms-bench-"))
    binaries = ensure_binaries()
    with ControlPlane(workdir=workdir / "controlplane", binaries=binaries) as control_plane:
        env = {
            "DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL,
            "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD,
        }
        args = ["--enable-control-api", "--log-level", "WARNING", "--task-seconds", "0.5"]
        with SimulatorProcess(workdir / "simulator", args, env=env) as simulator:
            dms = SimulatorClient(simulator.base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD)
            tenant = dms.tenant()

            kubectl = [str(binaries.kubectl), "--kubeconfig", str(control_plane.kubeconfig)]
            subprocess.run(
                [*kubectl, "apply", "-f", str(REPOSITORY / "crds")], check=True, capture_output=True
            )
            subprocess.run(
                [*kubectl, "wait", "--for=condition=Established", "crd", "--all"],
                check=True,
                capture_output=True,
            )
            api = config.new_client_from_config(config_file=str(control_plane.kubeconfig))
            core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
            core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
            credentials = {
                "endpoint": simulator.base_url,
                "username": tenant.admin.email,
                "password": USER_PASSWORD,
            }
            core.create_namespaced_secret(
                NAMESPACE,
                client.V1Secret(
                    metadata=client.V1ObjectMeta(name="dms-login"),
                    data={k: base64.b64encode(v.encode()).decode() for k, v in credentials.items()},
                ),
            )

            operator_env = {
                **os.environ,
                "KUBECONFIG": str(control_plane.kubeconfig),
                "DMS_OPERATOR_DRIFT_INTERVAL_SECONDS": str(drift_interval),
                "DMS_OPERATOR_DRIFT_TIMER_SECONDS": "2",
                "DMS_OPERATOR_TASK_POLL_DELAY_SECONDS": "1",
                "DMS_OPERATOR_METRICS_PORT": str(free_port()),
            }
            log = (workdir / "operator.log").open("wb")
            operator = subprocess.Popen(
                [sys.executable, "-m", "dms_operator", "--namespace", NAMESPACE, "--standalone"],
                env=operator_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                dms.control("DELETE", "/requests")
                started = time.monotonic()
                for index in range(databases):
                    name = f"bench-{index:03d}"
                    body = {
                        "apiVersion": f"{GROUP}/{VERSION}",
                        "kind": "DMSDatabase",
                        "metadata": {"name": name},
                        "spec": {
                            "credentialsSecretRef": {"name": "dms-login"},
                            "engine": "Postgres",
                            "version": "12",
                            "adminUsername": f"u_{index:03d}",
                        },
                    }
                    custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)
                deadline = started + 600
                while time.monotonic() < deadline:
                    items = custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL)[
                        "items"
                    ]
                    if sum(_ready(r) for r in items) == databases:
                        break
                    time.sleep(0.5)
                else:
                    raise SystemExit(f"not all {databases} databases were Ready within 600 s")
                to_ready = time.monotonic() - started
                create_log = dms.control("GET", "/requests").json()
                logins = sum(
                    1
                    for e in create_log
                    if e["method"] == "POST" and e["path"].endswith("/session")
                )

                time.sleep(drift_interval + 5)  # let the writes that follow creation settle
                before = _versions(custom, core)
                dms.control("DELETE", "/requests")
                time.sleep(window)
                idle_log = dms.control("GET", "/requests").json()
                after = _versions(custom, core)
                written = sum(1 for key, value in before.items() if after.get(key) != value)
                by_method = collections.Counter(e["method"] for e in idle_log)
                memory = _peak_memory_kib(operator.pid)
            finally:
                operator.terminate()
                operator.wait(timeout=30)
                log.close()
            dms.close()
            api.close()

    print(f"databases:                 {databases}")
    print(f"time to all Ready:         {to_ready:.1f} s")
    per_database = len(create_log) / databases
    print(f"DMS requests until Ready:  {len(create_log)} ({per_database:.1f} per database)")
    print(f"DMS logins until Ready:    {logins} (one credentials Secret)")
    print(f"idle window:               {window:.0f} s, drift interval {drift_interval} s")
    print(f"idle DMS requests:         {dict(by_method)}")
    print(
        f"idle objects written:      {written} of {len(before)} (resources and connection Secrets)"
    )
    print(f"operator peak memory:      {memory / 1024:.0f} MiB (VmHWM)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=50, help="number of DMSDatabases")
    parser.add_argument("--window", type=float, default=30.0, help="idle window in seconds")
    parser.add_argument(
        "--drift-interval", type=int, default=10, help="drift interval of each resource, seconds"
    )
    arguments = parser.parse_args()
    run(arguments.databases, arguments.window, arguments.drift_interval)


if __name__ == "__main__":
    main()
