"""Render the chart and the kustomize base, and pick objects out of the result.

Every function takes the helm or kubectl binary as an argument, so that rendering
tests need no API server and installing tests use the fixture's binaries.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
CHART = REPOSITORY / "charts" / "dms-operator"
DEPLOY = REPOSITORY / "deploy"
CRDS = REPOSITORY / "crds"
ARGOCD = REPOSITORY / "argocd"
EXAMPLES = REPOSITORY / "examples"

# Metadata that only Helm adds; the kustomize base has everything else.
HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")
HELM_ANNOTATIONS = ("helm.sh/resource-policy",)

Manifest = dict[str, Any]


class RenderError(AssertionError):
    """helm or kubectl failed; the message carries its stderr."""


def run(command: Sequence[str], input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command with a bound and return the finished process (never raises on exit status)."""
    return subprocess.run(
        list(command), input=input_text, capture_output=True, text=True, timeout=180, check=False
    )


def load_all(text: str) -> list[Manifest]:
    return [document for document in yaml.safe_load_all(text) if document]


def helm_template(
    helm: str,
    *arguments: str,
    release: str = "dms-operator",
    namespace: str = "dms-operator",
    chart: Path = CHART,
) -> list[Manifest]:
    """Return the objects `helm template` renders; raises RenderError when it fails."""
    result = run([helm, "template", release, str(chart), "--namespace", namespace, *arguments])
    if result.returncode != 0:
        raise RenderError(f"helm template {' '.join(arguments)} failed:\n{result.stderr}")
    return load_all(result.stdout)


def kustomize(kubectl: str, path: Path = DEPLOY) -> list[Manifest]:
    result = run([kubectl, "kustomize", str(path)])
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {path} failed:\n{result.stderr}")
    return load_all(result.stdout)


def select(manifests: Iterable[Manifest], kind: str, name: str | None = None) -> list[Manifest]:
    return [
        manifest
        for manifest in manifests
        if manifest["kind"] == kind and (name is None or manifest["metadata"]["name"] == name)
    ]


def only(manifests: Iterable[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = select(manifests, kind, name)
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container(manifests: Iterable[Manifest]) -> dict[str, Any]:
    """The operator container of the one Deployment."""
    deployment = only(manifests, "Deployment")
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["operator"]
    return containers[0]


def env_of(manifests: Iterable[Manifest]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container(manifests)["env"]}


def without_helm_metadata(manifest: Manifest) -> Manifest:
    """Return a copy without the labels and annotations that only Helm adds."""
    result = copy.deepcopy(manifest)
    metadatas = [result["metadata"]]
    template = result.get("spec", {}).get("template")
    if isinstance(template, dict) and "metadata" in template:
        metadatas.append(template["metadata"])
    for metadata in metadatas:
        for key, names in (("labels", HELM_LABELS), ("annotations", HELM_ANNOTATIONS)):
            values = metadata.get(key)
            if values is None:
                continue
            for name in names:
                values.pop(name, None)
            if not values:
                del metadata[key]
    return result


def identity(manifest: Manifest) -> tuple[str, str, str]:
    metadata = manifest["metadata"]
    return manifest["kind"], metadata.get("namespace", ""), metadata["name"]


def rbac_rules(manifests: Iterable[Manifest]) -> dict[tuple[str, str, str], list[Any]]:
    """Rules of every Role and ClusterRole, by identity."""
    return {
        identity(manifest): manifest.get("rules", [])
        for manifest in manifests
        if manifest["kind"] in ("Role", "ClusterRole")
    }


def granted(rules: Iterable[dict[str, Any]], group: str, resource: str) -> set[str]:
    """The verbs `rules` grant on `resource` of API group `group`."""
    verbs: set[str] = set()
    for rule in rules:
        if group in rule.get("apiGroups", []) and resource in rule.get("resources", []):
            verbs.update(rule.get("verbs", []))
    return verbs
