"""The operator run as the chart's ServiceAccount, with the chart's command line and env.

The control plane has no nodes, so the Deployment's pod never runs. A kubeconfig with
a TokenRequest token of the release's ServiceAccount replaces the pod's mounted token.
The operator then goes through a whole DMSDatabase lifecycle against a simulator,
survives a `helm upgrade` from the previous chart, and the Argo CD example manifests
show no drift once the operator has reconciled them.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from dms_testenv.controlplane import free_port
from dms_testenv.simulator import USER_PASSWORD, SimulatorClient, SimulatorProcess
from tests.chart.cluster import (
    helm,
    kubectl,
    previous_chart,
    previous_database_crd,
    replace_crd,
    restore_crds,
    service_account_kubeconfig,
    unique,
)
from tests.chart.manifests import CHART, EXAMPLES, container, load_all, run
from tests.integration.operator_env import FAST_SETTINGS, Cluster, Tenant
from tests.kube import KubeAPI, temporary_namespace

pytestmark = [pytest.mark.kube, pytest.mark.slow]

PROVIDER_EMAIL = "provider@chart-tests.example"
PROVIDER_PASSWORD = "Provider1!"
# Argo CD's field manager when it syncs with server-side apply.
ARGOCD_MANAGER = "argocd-controller"


def operator_importable() -> str | None:
    """Return why the operator cannot run here, or None when it can."""
    if importlib.util.find_spec("dms_operator.main") is None:
        return "dms_operator.main does not exist yet"
    result = run([sys.executable, "-c", "import dms_operator.main"])
    if result.returncode != 0:
        return f"dms_operator.main does not import: {result.stderr.strip().splitlines()[-1:]}"
    return None


@pytest.fixture(scope="module", autouse=True)
def operator_ready() -> None:
    reason = operator_importable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def dms_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorProcess]:
    """A simulator without database servers: DMS databases exist in its records only."""
    args = ["--enable-control-api", "--log-level", "WARNING", "--task-seconds", "0.5",
            "--task-steps", "2"]  # fmt: skip
    env = {"DMS_SIM_PROVIDER_EMAIL": PROVIDER_EMAIL, "DMS_SIM_PROVIDER_PASSWORD": PROVIDER_PASSWORD}
    with SimulatorProcess(
        tmp_path_factory.mktemp("chart-simulator"), args, env=env, name="chart-simulator"
    ) as process:
        yield process


@pytest.fixture(scope="module")
def dms(dms_simulator: SimulatorProcess) -> Iterator[SimulatorClient]:
    simulator = SimulatorClient(dms_simulator.base_url, PROVIDER_EMAIL, PROVIDER_PASSWORD)
    yield simulator
    simulator.close()


@pytest.fixture
def release_namespace(kube_client: client.ApiClient) -> Iterator[str]:
    with temporary_namespace(kube_client, prefix="release") as name:
        yield name


class ChartOperator:
    """The operator started with the container args and env of the release's Deployment."""

    def __init__(self, api: KubeAPI, release: str, namespace: str, kubeconfig: Path) -> None:
        manifest = load_all(helm(api, "get", "manifest", release, "-n", namespace))
        operator = container(manifest)
        assert operator["command"] == ["kopf"], "peering command lines run in test_peering.py"
        self.args = [
            f"--liveness=http://127.0.0.1:{free_port()}/healthz"
            if argument.startswith("--liveness=")
            else argument
            for argument in operator["args"]
        ]
        chart_env = {item["name"]: item["value"] for item in operator["env"] if "value" in item}
        self.env = {
            **os.environ,
            **chart_env,
            **FAST_SETTINGS,
            "DMS_OPERATOR_METRICS_PORT": str(free_port()),
            "POD_ID": f"{release}-0",
            "KUBECONFIG": str(kubeconfig),
        }
        self.log = kubeconfig.parent / f"operator-{release}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChartOperator:
        kopf = Path(sys.executable).parent / "kopf"
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(kopf), *self.args],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def operators() -> Iterator[list[ChartOperator]]:
    started: list[ChartOperator] = []
    yield started
    for operator in started:
        operator.stop()


def delete_while_running(api: KubeAPI, namespace: str, objects: list[tuple[str, str]]) -> None:
    """Delete leftover resources while the operator still runs, so that their finalizers
    go and the test namespace can be deleted. Errors are ignored: this runs after a failure."""
    for kind, name in objects:
        api.kubectl_run("delete", kind, name, "-n", namespace, "--ignore-not-found",
                        "--timeout=120s")  # fmt: skip


def new_tenant(dms: SimulatorClient) -> Tenant:
    org = dms.create_org()
    _, email = dms.create_user(org["id"], ["ORG_ADMIN"])
    return Tenant(dms, org, email, USER_PASSWORD)


def test_database_lifecycle_across_upgrade(
    kube_api: KubeAPI,
    kube_client: client.ApiClient,
    namespace: str,
    release_namespace: str,
    dms: SimulatorClient,
    operators: list[ChartOperator],
    tmp_path: Path,
) -> None:
    release = unique("life")
    values = ("--set", f"watchNamespaces={{{namespace}}}")
    tenant = new_tenant(dms)
    cluster = Cluster(kube_client, namespace)
    name = unique("orders")
    try:
        restore_crds(kube_api)
        replace_crd(kube_api, previous_database_crd())
        helm(kube_api, "install", release, str(previous_chart(tmp_path)), "-n", release_namespace,
             "--take-ownership", *values)  # fmt: skip
        config = service_account_kubeconfig(
            kube_api, release_namespace, f"{release}-dms-operator", tmp_path / "sa"
        )
        operators.append(ChartOperator(kube_api, release, release_namespace, config).start())

        cluster.create_secret("dms-login", tenant.credentials())
        spec = {
            "credentialsSecretRef": {"name": "dms-login"},
            "engine": "Postgres",
            "version": "12",
            "deletionPolicy": "Delete",
        }
        cluster.create("dmsdatabases", "DMSDatabase", name, spec)
        cluster.wait_condition("dmsdatabases", name, "True", "Available", timeout=180)
        created = cluster.get("dmsdatabases", name)
        assert created is not None
        database_id = created["status"]["id"]
        assert tenant.database(database_id) is not None
        connection = cluster.secret_values(created["status"]["binding"]["name"])
        assert connection["host"]

        # An upgraded chart changes the pod template, so Kubernetes restarts the operator.
        operators[-1].stop()
        helm(kube_api, "upgrade", release, str(CHART), "-n", release_namespace,
             "--force-conflicts", *values)  # fmt: skip
        operators.append(ChartOperator(kube_api, release, release_namespace, config).start())

        after = cluster.get("dmsdatabases", name)
        assert after is not None
        assert after["metadata"]["uid"] == created["metadata"]["uid"]
        cluster.wait_condition("dmsdatabases", name, "True", "Available")
        assert tenant.database(database_id) is not None
        assert len(tenant.databases(name)) == 1

        cluster.delete("dmsdatabases", name)
        cluster.wait_gone("dmsdatabases", name, timeout=180)
        assert tenant.database(database_id) is None
        for operator in operators:
            assert tenant.password not in operator.output()
            assert "Forbidden" not in operator.output(), operator.output()[-4000:]
    finally:
        delete_while_running(kube_api, namespace, [("DMSDatabase", name)])
        for operator in operators:
            operator.stop()
        run([kube_api.helm, "--kubeconfig", kube_api.kubeconfig, "uninstall", release,
             "-n", release_namespace])  # fmt: skip
        restore_crds(kube_api)


def example_manifests(provider_secret: dict[str, Any]) -> list[dict[str, Any]]:
    """The examples, with their placeholder provider Secret replaced by `provider_secret`."""
    documents: list[dict[str, Any]] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for document in load_all(path.read_text()):
            if (
                document["kind"] == "Secret"
                and document["metadata"]["name"] == "dms-provider-admin"
            ):
                document = provider_secret
            documents.append(document)
    return documents


def server_side_apply(api: KubeAPI, namespace: str, documents: list[dict[str, Any]],
                      *options: str) -> list[dict[str, Any]]:  # fmt: skip
    output = kubectl(
        api, "apply", "--server-side", f"--field-manager={ARGOCD_MANAGER}", "-n", namespace,
        "-o", "json", *options, "-f", "-", input_text=yaml.safe_dump_all(documents),
    )  # fmt: skip
    parsed = json.loads(output)
    items: list[dict[str, Any]] = parsed["items"] if parsed.get("kind") == "List" else [parsed]
    return items


def test_examples_stay_in_sync_after_reconcile(
    kube_api: KubeAPI,
    kube_client: client.ApiClient,
    namespace: str,
    release_namespace: str,
    dms: SimulatorClient,
    operators: list[ChartOperator],
    tmp_path: Path,
) -> None:
    release = unique("sync")
    provider_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "dms-provider-admin"},
        "type": "Opaque",
        "data": {
            key: base64.b64encode(value.encode()).decode()
            for key, value in {
                "endpoint": dms.base_url,
                "username": PROVIDER_EMAIL,
                "password": PROVIDER_PASSWORD,
            }.items()
        },
    }
    documents = example_manifests(provider_secret)
    cluster = Cluster(kube_client, namespace)
    try:
        restore_crds(kube_api)
        helm(kube_api, "install", release, str(CHART), "-n", release_namespace, "--take-ownership",
             "--set", f"watchNamespaces={{{namespace}}}")  # fmt: skip
        config = service_account_kubeconfig(
            kube_api, release_namespace, f"{release}-dms-operator", tmp_path / "sa"
        )
        operators.append(ChartOperator(kube_api, release, release_namespace, config).start())

        server_side_apply(kube_api, namespace, documents)
        for document in documents:
            plural = {"DMSDatabase": "dmsdatabases", "DMSOrganization": "dmsorganizations"}.get(
                document["kind"]
            )
            if plural is not None:
                cluster.wait_condition(plural, document["metadata"]["name"], "True", timeout=240)

        live: dict[tuple[str, str], dict[str, Any]] = {}
        for document in documents:
            kind, name = document["kind"], document["metadata"]["name"]
            found = kubectl(kube_api, "get", kind, name, "-n", namespace, "-o", "json")
            live[kind, name] = json.loads(found)
        dry_run = server_side_apply(kube_api, namespace, documents, "--dry-run=server")

        for document, result in zip(documents, dry_run, strict=True):
            key = (document["kind"], document["metadata"]["name"])
            current = live[key]
            for field in ("spec", "data", "stringData", "type"):
                assert result.get(field) == current.get(field), f"{key} {field} would change"
            assert result["metadata"].get("generation") == current["metadata"].get("generation")
            for part in ("labels", "annotations"):
                # The operator adds annotations of its own; only the user's must match.
                desired = (document["metadata"].get(part) or {}).items()
                assert desired <= (current["metadata"].get(part) or {}).items(), f"{key} {part}"
                assert desired <= (result["metadata"].get(part) or {}).items(), f"{key} {part}"
            if "spec" in document:
                # Nothing added by the API server (schema defaults) or by the operator.
                assert current["spec"] == document["spec"], f"{key} spec differs from git"
    finally:
        delete_while_running(kube_api, namespace, [
            (d["kind"], d["metadata"]["name"]) for d in documents if d["kind"].startswith("DMS")
        ])  # fmt: skip
        for operator in operators:
            operator.stop()
        run([kube_api.helm, "--kubeconfig", kube_api.kubeconfig, "uninstall", release,
             "-n", release_namespace])  # fmt: skip
