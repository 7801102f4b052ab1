"""The chart and the kustomize base applied to the suite's API server.

The control plane has no nodes, so pods never run here. These tests check what the
API server accepts and what the ServiceAccount may do. tests/chart/
test_operator_as_sa.py runs the operator itself under that ServiceAccount.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from tests.chart.cluster import (
    MISSING_FIELD,
    can_i,
    helm,
    helm_release,
    kubectl,
    previous_chart,
    previous_database_crd,
    replace_crd,
    restore_crds,
    service_account_kubeconfig,
    unique,
)
from tests.chart.manifests import ARGOCD, CHART, DEPLOY, helm_template, run
from tests.chart.sync import HEALTH_KEYS
from tests.kube import KubeAPI, temporary_namespace

pytestmark = pytest.mark.kube


@pytest.fixture
def other_namespace(kube_client: client.ApiClient) -> Iterator[str]:
    with temporary_namespace(kube_client, prefix="other") as name:
        yield name


def apply_twice(api: KubeAPI, manifests: str) -> None:
    """Apply server-side as a dry run, then for real: first CRDs and namespaces, then
    the rest, because a server-side dry run cannot place an object in a namespace, or
    check one of a kind, that does not exist yet."""
    documents = [d for d in yaml.safe_load_all(manifests) if d]
    first_kinds = ("CustomResourceDefinition", "Namespace")
    crds = [d for d in documents if d["kind"] in first_kinds]
    others = [d for d in documents if d["kind"] not in first_kinds]
    for group in (crds, others):
        for dry_run in ("--dry-run=server", "--dry-run=none"):
            kubectl(
                api, "apply", "--server-side", "--force-conflicts", dry_run, "-f", "-",
                input_text=yaml.safe_dump_all(group),
            )  # fmt: skip
        if group is crds:
            names = [d["metadata"]["name"] for d in crds if d["kind"] == first_kinds[0]]
            kubectl(api, "wait", "--for=condition=Established", "--timeout=60s", "crd", *names)


def delete_except_crds(api: KubeAPI, manifests: str) -> None:
    # Deleting a CRD deletes every resource of its kind, other tests' included.
    documents = [d for d in yaml.safe_load_all(manifests) if d]
    deletable = [d for d in documents if d["kind"] != "CustomResourceDefinition"]
    kubectl(api, "delete", "--ignore-not-found", "--wait=false", "-f", "-",
            input_text=yaml.safe_dump_all(deletable))  # fmt: skip


def database(name: str, **spec: object) -> str:
    body = {
        "apiVersion": "dms.tanzu.community/v1alpha1",
        "kind": "DMSDatabase",
        "metadata": {"name": name},
        "spec": {
            "credentialsSecretRef": {"name": "dms-login"},
            "engine": "Postgres",
            "version": "12",
            **spec,
        },
    }
    return json.dumps(body)


def test_default_manifests_apply(kube_api: KubeAPI, namespace: str) -> None:
    release = unique("dmsop")
    manifests = yaml.safe_dump_all(
        helm_template(kube_api.helm, release=release, namespace=namespace)
    )

    apply_twice(kube_api, manifests)
    try:
        service_account = f"{namespace}:{release}-dms-operator"
        assert can_i(kube_api, service_account, "get", "secrets", "-n", "kube-system")
        assert can_i(kube_api, service_account, "patch", "dmsdatabases.dms.tanzu.community/status",
                     "-n", "default")  # fmt: skip
        assert not can_i(kube_api, service_account, "create", "pods", "-n", namespace)
        assert not can_i(kube_api, service_account, "delete", "dmsdatabases.dms.tanzu.community",
                         "-n", namespace)  # fmt: skip
    finally:
        delete_except_crds(kube_api, manifests)


def test_namespaced_manifests_apply(
    kube_api: KubeAPI, namespace: str, other_namespace: str
) -> None:
    release = unique("dmsop")
    manifests = yaml.safe_dump_all(
        helm_template(
            kube_api.helm,
            "--include-crds",
            "--set", f"watchNamespaces={{{other_namespace}}}",
            "--set", "replicas=2",
            release=release,
            namespace=namespace,
        )
    )  # fmt: skip

    apply_twice(kube_api, manifests)
    try:
        peering = kubectl(
            kube_api, "get", "kopfpeerings.kopf.dev", "-n", other_namespace, "-o", "name"
        )
        assert peering.strip() == f"kopfpeering.kopf.dev/{release}-dms-operator"
    finally:
        delete_except_crds(kube_api, manifests)


def test_kustomize_base_applies(kube_api: KubeAPI) -> None:
    manifests = kubectl(kube_api, "kustomize", str(DEPLOY))

    apply_twice(kube_api, manifests)
    try:
        # The documented command, over what is there already.
        kubectl(kube_api, "apply", "--server-side", "-k", str(DEPLOY))
        deployment = json.loads(
            kubectl(
                kube_api, "get", "deployment", "dms-operator", "-n", "dms-operator", "-o", "json"
            )
        )
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "dms-operator"
        resource = "dmsorganizations.dms.tanzu.community"
        identity = "dms-operator:dms-operator"
        assert can_i(kube_api, identity, "watch", resource, "--all-namespaces")
    finally:
        delete_except_crds(kube_api, manifests)


def test_namespaced_service_account_confined(
    kube_api: KubeAPI, namespace: str, other_namespace: str, tmp_path: Path
) -> None:
    release = unique("dmsop")
    service_account = f"{release}-dms-operator"
    watched = namespace
    with helm_release(kube_api, release, namespace, "--set", f"watchNamespaces={{{watched}}}"):
        kubectl(kube_api, "create", "secret", "generic", "probe", "-n", other_namespace,
                "--from-literal=key=value")  # fmt: skip
        kubectl(kube_api, "create", "secret", "generic", "probe", "-n", watched,
                "--from-literal=key=value")  # fmt: skip
        identity = f"{namespace}:{service_account}"

        for verb in ("get", "list", "watch", "create", "delete"):
            assert can_i(kube_api, identity, verb, "secrets", "-n", watched)
            assert not can_i(kube_api, identity, verb, "secrets", "-n", other_namespace)
        assert not can_i(kube_api, identity, "list", "secrets", "--all-namespaces")
        assert not can_i(kube_api, identity, "get", "dmsdatabases.dms.tanzu.community",
                         "-n", other_namespace)  # fmt: skip
        assert can_i(kube_api, identity, "list", "namespaces")
        assert can_i(kube_api, identity, "watch", "customresourcedefinitions.apiextensions.k8s.io")

        config = service_account_kubeconfig(kube_api, namespace, service_account, tmp_path / "sa")
        as_operator = [kube_api.kubectl, "--kubeconfig", str(config)]
        denied = run([*as_operator, "get", "secret", "probe", "-n", other_namespace])
        assert denied.returncode != 0
        assert "Forbidden" in denied.stderr
        assert f"system:serviceaccount:{namespace}:{service_account}" in denied.stderr
        permitted = run([*as_operator, "get", "secret", "probe", "-n", watched, "-o", "name"])
        assert permitted.returncode == 0, permitted.stderr
        assert permitted.stdout.strip() == "secret/probe"


def test_crd_upgrade_from_previous_chart(kube_api: KubeAPI, namespace: str, tmp_path: Path) -> None:
    release = unique("dmsop")
    strict_create = ("create", "--dry-run=server", "--validate=strict", "-n", namespace, "-f", "-")
    try:
        restore_crds(kube_api)
        replace_crd(kube_api, previous_database_crd())
        helm(kube_api, "install", release, str(previous_chart(tmp_path)), "-n", namespace,
             "--take-ownership")  # fmt: skip
        kubectl(kube_api, "apply", "-n", namespace, "-f", "-", input_text=database("kept"))
        uid = kubectl(
            kube_api, "get", "dmsdb", "kept", "-n", namespace, "-o", "jsonpath={.metadata.uid}"
        )
        with_field = database("probe", **{MISSING_FIELD: {"max_connections": "50"}})
        before = kube_api.kubectl_run(*strict_create, input_text=with_field)
        assert before.returncode != 0
        assert MISSING_FIELD in before.stderr

        # The suite's CRDs predate this release, so kubectl-replace co-owns their fields,
        # and server-side apply reports a conflict on .spec.versions without the force
        # flag. A release that created its CRDs owns them alone and needs no force.
        helm(kube_api, "upgrade", release, str(CHART), "-n", namespace, "--force-conflicts")

        kubectl(kube_api, *strict_create, input_text=with_field)
        assert kubectl(kube_api, "get", "dmsdb", "kept", "-n", namespace, "-o",
                       "jsonpath={.metadata.uid}") == uid  # fmt: skip
        crd = json.loads(
            kubectl(kube_api, "get", "crd", "dmsdatabases.dms.tanzu.community", "-o", "json")
        )
        assert crd["metadata"]["annotations"]["meta.helm.sh/release-name"] == release
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        assert MISSING_FIELD in schema["properties"]["spec"]["properties"]

        helm(kube_api, "uninstall", release, "-n", namespace)

        crd = json.loads(
            kubectl(kube_api, "get", "crd", "dmsdatabases.dms.tanzu.community", "-o", "json")
        )
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert kubectl(kube_api, "get", "dmsdb", "kept", "-n", namespace, "-o",
                       "jsonpath={.metadata.uid}") == uid  # fmt: skip
    finally:
        kube_api.kubectl_run("delete", "dmsdb", "kept", "-n", namespace, "--ignore-not-found")
        restore_crds(kube_api)


def test_argocd_cm_patch_merges(kube_api: KubeAPI, namespace: str) -> None:
    kubectl(kube_api, "create", "configmap", "argocd-cm", "-n", namespace,
            "--from-literal=url=https://argocd.example")  # fmt: skip

    kubectl(kube_api, "patch", "configmap", "argocd-cm", "-n", namespace, "--type", "merge",
            "--patch-file", str(ARGOCD / "argocd-cm.yaml"))  # fmt: skip

    data = json.loads(
        kubectl(kube_api, "get", "configmap", "argocd-cm", "-n", namespace, "-o", "json")
    )["data"]
    assert data["url"] == "https://argocd.example"
    for file_name, key in HEALTH_KEYS.items():
        assert data[key] == (ARGOCD / file_name).read_text()


def test_notes_argocd_command_merges(kube_api: KubeAPI, namespace: str) -> None:
    release = unique("notes")
    kubectl(kube_api, "create", "configmap", "argocd-cm", "-n", namespace)
    with helm_release(
        kube_api, release, namespace, "--set", "argocd.healthChecks.enabled=true",
        "--set", "crds.install=false",
    ):  # fmt: skip
        notes = helm(kube_api, "get", "notes", release, "-n", namespace)
        command = notes[notes.index("kubectl -n argocd patch") :].split("\n\n")[0]
        # The notes assume Argo CD's namespace; this test's argocd-cm is in `namespace`.
        command = command.replace(
            "kubectl ", f"{kube_api.kubectl} --kubeconfig {kube_api.kubeconfig} "
        )
        command = command.replace("-n argocd", f"-n {namespace}")

        result = run(["bash", "-c", command])

    assert result.returncode == 0, result.stderr
    data = json.loads(
        kubectl(kube_api, "get", "configmap", "argocd-cm", "-n", namespace, "-o", "json")
    )["data"]
    for file_name, key in HEALTH_KEYS.items():
        assert data[key] == (ARGOCD / file_name).read_text()
