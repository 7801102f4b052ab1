"""Helpers for the install tests against the suite's API server: helm releases,
ServiceAccount kubeconfigs, and putting the shared CRDs back the way crds/ has them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.chart.manifests import CHART, CRDS, load_all, run
from tests.kube import KubeAPI


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def checked(result: subprocess.CompletedProcess[str], what: str) -> str:
    assert result.returncode == 0, f"{what} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def kubectl(api: KubeAPI, *arguments: str, input_text: str | None = None) -> str:
    """Run kubectl as the admin and return stdout; fails the test on a non-zero exit."""
    return checked(api.kubectl_run(*arguments, input_text=input_text), f"kubectl {arguments}")


def helm(api: KubeAPI, *arguments: str) -> str:
    result = run([api.helm, "--kubeconfig", api.kubeconfig, *arguments])
    return checked(result, f"helm {' '.join(arguments)}")


@contextmanager
def helm_release(
    api: KubeAPI, release: str, namespace: str, *values: str, chart: Path = CHART
) -> Iterator[str]:
    """Install `chart` as `release` and uninstall it afterwards.

    --take-ownership lets the release adopt the CRDs that other tests or releases
    applied before, as a user adopts CRDs applied with kubectl.
    """
    helm(api, "install", release, str(chart), "--namespace", namespace, "--take-ownership", *values)
    try:
        yield release
    finally:
        run([api.helm, "--kubeconfig", api.kubeconfig, "uninstall", release, "-n", namespace])


def service_account_kubeconfig(
    api: KubeAPI, namespace: str, service_account: str, path: Path
) -> Path:
    """Write a kubeconfig that authenticates as `service_account` with a TokenRequest token."""
    token = kubectl(
        api, "create", "token", service_account, "-n", namespace, "--duration=3600s"
    ).strip()
    admin = yaml.safe_load(Path(api.kubeconfig).read_text())
    context_name = admin["current-context"]
    context = next(c["context"] for c in admin["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in admin["clusters"] if c["name"] == context["cluster"])
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": service_account, "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": service_account}}],
        "current-context": "test",
    }
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


def can_i(api: KubeAPI, service_account: str, verb: str, resource: str, *scope: str) -> bool:
    """`kubectl auth can-i` for `service_account` ("namespace:name")."""
    result = api.kubectl_run(
        "auth", "can-i", verb, resource, f"--as=system:serviceaccount:{service_account}", *scope
    )
    answer = result.stdout.strip()
    assert answer in ("yes", "no"), f"kubectl auth can-i returned {answer!r}: {result.stderr}"
    return answer == "yes"


def replace_crd(api: KubeAPI, crd: dict[str, Any]) -> None:
    """PUT `crd` over the live CRD, so that fields it lacks are really gone.

    An apply keeps fields that another field manager owns; a replace does not.
    """
    live = json.loads(kubectl(api, "get", "crd", crd["metadata"]["name"], "-o", "json"))
    body = json.loads(json.dumps(crd))
    body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    kubectl(api, "replace", "-f", "-", input_text=json.dumps(body))


def restore_crds(api: KubeAPI) -> None:
    """Make the live CRDs exactly crds/ again, creating them when missing."""
    for path in sorted(CRDS.glob("*.yaml")):
        [crd] = load_all(path.read_text())
        found = api.kubectl_run("get", "crd", crd["metadata"]["name"], "-o", "name")
        if found.returncode == 0:
            replace_crd(api, crd)
        else:
            kubectl(api, "create", "-f", str(path))
    for path in sorted(CRDS.glob("*.yaml")):
        kubectl(api, "wait", "--for=condition=Established", "--timeout=60s", "-f", str(path))


# The field the stand-in for the previous chart's DMSDatabase CRD lacks.
MISSING_FIELD = "dbOptions"


def previous_chart(workdir: Path) -> Path:
    """Write a stand-in for the previous chart release: version 0.0.9, whose
    DMSDatabase CRD lacks spec.dbOptions, and return its folder.

    NOTE: 0.1.0 is the first chart version, so no earlier chart exists to test
    against; once one is released, install that instead.
    """
    chart = workdir / "dms-operator"
    shutil.copytree(CHART, chart)
    metadata = yaml.safe_load((chart / "Chart.yaml").read_text())
    metadata["version"] = "0.0.9"
    (chart / "Chart.yaml").write_text(yaml.safe_dump(metadata))
    (chart / "files" / "crds" / "dmsdatabases.dms.tanzu.community.yaml").write_text(
        yaml.safe_dump(previous_database_crd())
    )
    return chart


def previous_database_crd() -> dict[str, Any]:
    [crd] = load_all((CRDS / "dmsdatabases.dms.tanzu.community.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    del spec["properties"][MISSING_FIELD]
    return dict(crd)
