"""The CRDs on a real kube-apiserver: they install, and the server enforces the rules.

Uses the session fixture `kube_api` from tests/conftest.py (an object with the
attributes `kubeconfig` and `kubectl`, both paths) and drives kubectl, the way a user
would. Each module run works in a namespace of its own; the CRDs stay installed,
because other suites use them too.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

pytestmark = pytest.mark.kube

ROOT = Path(__file__).resolve().parents[2]
CRDS = [
    ROOT / "crds" / "dmsdatabases.dms.tanzu.community.yaml",
    ROOT / "crds" / "dmsorganizations.dms.tanzu.community.yaml",
]
EXAMPLES = ROOT / "examples"
API_VERSION = "dms.tanzu.community/v1alpha1"
# Bounds a hung kubectl call; a rejected request returns at once.
KUBECTL_TIMEOUT = 60
# How long the API server may take to publish a new CRD's OpenAPI schema.
PUBLISH_ATTEMPTS = 30


class KubeApi(Protocol):
    kubeconfig: str
    kubectl: str


@dataclass
class Kubectl:
    """Runs kubectl against the test API server in one namespace."""

    api: KubeApi
    namespace: str

    def run(
        self, *args: str, body: dict[str, Any] | None = None, namespaced: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [self.api.kubectl, "--kubeconfig", self.api.kubeconfig]
        if namespaced:
            command += ["--namespace", self.namespace]
        return subprocess.run(
            [*command, *args],
            input=json.dumps(body) if body is not None else None,
            capture_output=True,
            text=True,
            timeout=KUBECTL_TIMEOUT,
            check=False,
        )

    def ok(self, *args: str, body: dict[str, Any] | None = None, namespaced: bool = True) -> str:
        result = self.run(*args, body=body, namespaced=namespaced)
        assert result.returncode == 0, f"kubectl {' '.join(args)} failed: {result.stderr}"
        return result.stdout

    def rejected(self, *args: str, body: dict[str, Any] | None = None) -> str:
        """Run a request that the API server must reject; return its error output."""
        result = self.run(*args, body=body)
        assert result.returncode != 0, f"kubectl {' '.join(args)} was accepted: {result.stdout}"
        return result.stderr

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.ok("get", kind, name, "--output", "json"))
        return found


@pytest.fixture(scope="module")
def kubectl(kube_api: KubeApi) -> Iterator[Kubectl]:
    namespace = f"crd-validation-{uuid.uuid4().hex[:8]}"
    client = Kubectl(kube_api, namespace)
    for crd in CRDS:
        client.ok("apply", "--filename", str(crd), namespaced=False)
    client.ok(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/dmsdatabases.dms.tanzu.community",
        "crd/dmsorganizations.dms.tanzu.community",
        namespaced=False,
    )
    client.ok("create", "namespace", namespace, namespaced=False)
    yield client
    client.run("delete", "namespace", namespace, "--wait=false", namespaced=False)


def database(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "DMSDatabase",
        "metadata": {"name": name},
        "spec": {
            "credentialsSecretRef": {"name": "acme-dms-admin"},
            "engine": "Postgres",
            "version": "12",
            **spec,
        },
    }


def organization(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "DMSOrganization",
        "metadata": {"name": name},
        "spec": {
            "credentialsSecretRef": {"name": "dms-provider-admin"},
            "email": "dba-team@acme.example",
            **spec,
        },
    }


def merge_patch(kubectl: Kubectl, kind: str, name: str, patch: dict[str, Any]) -> str:
    """Send a merge patch that the API server must reject; return its error output."""
    return kubectl.rejected("patch", kind, name, "--type=merge", "--patch", json.dumps(patch))


def test_crds_established(kubectl: Kubectl) -> None:
    for name in ["dmsdatabases.dms.tanzu.community", "dmsorganizations.dms.tanzu.community"]:
        crd = json.loads(kubectl.ok("get", "crd", name, "--output", "json", namespaced=False))
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}

        assert conditions["Established"] == "True"
        assert conditions["NamesAccepted"] == "True"


def test_explain_shows_descriptions(kubectl: Kubectl, tmp_path: Path) -> None:
    # A fresh discovery cache for each try, because kubectl caches the resource list.
    # The server publishes a new CRD's OpenAPI schema shortly after it is Established.
    result = None
    for attempt in range(PUBLISH_ATTEMPTS):
        cache = tmp_path / f"cache-{attempt}"
        result = kubectl.run("explain", "dmsdatabase.spec.engine", "--cache-dir", str(cache))
        if result.returncode == 0:
            break
        time.sleep(1)
    assert result is not None
    assert result.returncode == 0, result.stderr

    assert "selects templates whose DMS serviceType is POSTGRES" in result.stdout
    assert "Postgres" in result.stdout
    org = kubectl.ok("explain", "dmsorg.spec.adminUser.email", "--cache-dir", str(cache))
    assert "Immutable" in org


@pytest.mark.parametrize("example", ["organization.yaml", "postgres.yaml", "mysql.yaml"])
def test_examples_accepted(kubectl: Kubectl, example: str) -> None:
    output = kubectl.ok("apply", "--dry-run=server", "--filename", str(EXAMPLES / example))

    documents = [doc for doc in yaml.safe_load_all((EXAMPLES / example).read_text()) if doc]
    for document in documents:
        assert f"{document['metadata']['name']} created (server dry run)" in output


def test_get_lists_category_and_columns(kubectl: Kubectl) -> None:
    kubectl.ok("create", "--filename", "-", body=database("columns-db"))
    kubectl.ok("create", "--filename", "-", body=organization("columns-org"))

    listing = kubectl.ok("get", "dms")
    database_header = kubectl.ok("get", "dmsdb").splitlines()[0].split()
    organization_header = kubectl.ok("get", "dmsorg").splitlines()[0].split()

    assert "dmsdatabase.dms.tanzu.community/columns-db" in listing
    assert "dmsorganization.dms.tanzu.community/columns-org" in listing
    assert database_header == ["NAME", "ENGINE", "VERSION", "DMS-STATUS", "READY", "REASON", "AGE"]
    assert organization_header == ["NAME", "COMPANY", "MODE", "READY", "REASON", "AGE"]


def test_server_sets_no_defaults(kubectl: Kubectl) -> None:
    body = database("no-defaults")
    kubectl.ok("create", "--filename", "-", body=body)

    assert kubectl.get("dmsdatabase", "no-defaults")["spec"] == body["spec"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"engine": "Oracle"}, 'spec.engine: Unsupported value: "Oracle"'),
        ({"storageGB": -5}, "spec.storageGB: Invalid value: -5"),
        ({"port": 70000}, "spec.port: Invalid value: 70000"),
        ({"instanceName": "Orders_DB"}, "spec.instanceName: Invalid value"),
        ({"backup": {"startTime": "7:00"}}, "spec.backup.startTime: Invalid value"),
        ({"maintenanceWindow": {"durationHours": 0}}, "spec.maintenanceWindow.durationHours"),
        ({"organizationId": "acme"}, "spec.organizationId: Invalid value"),
        (
            {"instancePlan": "small", "cpu": 2},
            "spec.instancePlan: Invalid value: spec.instancePlan and spec.cpu/spec.memoryGB "
            "are mutually exclusive",
        ),
        (
            {
                "organizationRef": {"name": "acme"},
                "organizationId": "0b0e8c8e-1d2f-4a5b-9c7d-123456789abc",
            },
            "spec.organizationRef and spec.organizationId are mutually exclusive",
        ),
    ],
)
def test_invalid_database_rejected(kubectl: Kubectl, spec: dict[str, Any], expected: str) -> None:
    error = kubectl.rejected("create", "--filename", "-", body=database("invalid-db", **spec))

    assert expected in error


def test_invalid_metadata_name_needs_instance_name(kubectl: Kubectl) -> None:
    error = kubectl.rejected("create", "--filename", "-", body=database("orders.pg"))

    assert "metadata.name is used as the DMS instance name" in error
    kubectl.ok("create", "--filename", "-", body=database("orders.pg", instanceName="orders-pg"))


@pytest.mark.parametrize(
    ("spec", "patch", "expected"),
    [
        ({}, {"engine": "MySQL"}, "spec.engine is immutable"),
        ({"instanceName": "first"}, {"instanceName": "second"}, "spec.instanceName is immutable"),
        (
            {},
            {"instanceName": "added-later"},
            "spec.instanceName is immutable and cannot be added or removed",
        ),
        ({"port": 5433}, {"port": None}, "spec.port is immutable"),
        ({"monitoring": "Normal"}, {"monitoring": "Enhanced"}, "spec.monitoring is immutable"),
        (
            {"writeConnectionSecretToRef": {"name": "a"}},
            {"writeConnectionSecretToRef": {"name": "b"}},
            "spec.writeConnectionSecretToRef is immutable",
        ),
        ({"storageGB": 60}, {"storageGB": 40}, "spec.storageGB can only grow"),
        ({"storageGB": 60}, {"storageGB": None}, "spec.storageGB cannot be removed"),
    ],
)
def test_forbidden_database_update_rejected(
    kubectl: Kubectl, spec: dict[str, Any], patch: dict[str, Any], expected: str
) -> None:
    name = f"update-{uuid.uuid4().hex[:8]}"
    kubectl.ok("create", "--filename", "-", body=database(name, **spec))

    error = merge_patch(kubectl, "dmsdatabase", name, {"spec": patch})

    assert expected in error


def test_version_fixed_once_database_exists(kubectl: Kubectl) -> None:
    name = f"version-{uuid.uuid4().hex[:8]}"
    kubectl.ok("create", "--filename", "-", body=database(name))

    # Before DMS has the database, a wrong version can be corrected.
    correction = {"spec": {"version": "13"}}
    kubectl.ok("patch", "dmsdatabase", name, "--type=merge", "--patch", json.dumps(correction))
    assert kubectl.get("dmsdatabase", name)["spec"]["version"] == "13"

    status = {"status": {"id": "11111111-2222-3333-4444-555555555555"}}
    kubectl.ok(
        "patch",
        "dmsdatabase",
        name,
        "--subresource=status",
        "--type=merge",
        "--patch",
        json.dumps(status),
    )
    error = merge_patch(kubectl, "dmsdatabase", name, {"spec": {"version": "14"}})

    assert "spec.version is immutable once the database exists in DMS" in error
    assert kubectl.get("dmsdatabase", name)["spec"]["version"] == "13"


def test_allowed_database_update_accepted(kubectl: Kubectl) -> None:
    kubectl.ok("create", "--filename", "-", body=database("grows", storageGB=60, cpu=2))
    patch = {"spec": {"storageGB": 80, "cpu": 4, "powerState": "Off", "deletionPolicy": "Delete"}}

    kubectl.ok("patch", "dmsdatabase", "grows", "--type=merge", "--patch", json.dumps(patch))

    spec = kubectl.get("dmsdatabase", "grows")["spec"]
    assert spec["storageGB"] == 80
    assert spec["cpu"] == 4
    assert spec["powerState"] == "Off"


def test_organization_rules(kubectl: Kubectl) -> None:
    admin = {
        "email": "dms-admin@acme.example",
        "firstName": "Acme",
        "lastName": "Admin",
        "credentialsSecretName": "acme-dms-admin",
    }
    kubectl.ok("create", "--filename", "-", body=organization("org-rules", adminUser=admin))

    email_error = merge_patch(
        kubectl, "dmsorg", "org-rules", {"spec": {"adminUser": {"email": "other@acme.example"}}}
    )
    removal_error = merge_patch(kubectl, "dmsorg", "org-rules", {"spec": {"adminUser": None}})
    policy_error = merge_patch(
        kubectl, "dmsorg", "org-rules", {"spec": {"deletionPolicy": "Delete"}}
    )

    assert "spec.adminUser.email is immutable" in email_error
    assert "spec.adminUser cannot be removed once set" in removal_error
    assert 'spec.deletionPolicy: Unsupported value: "Delete"' in policy_error


def test_unknown_field_rejected_in_strict_mode(kubectl: Kubectl) -> None:
    body = database("strict-db", storageSize=10)

    error = kubectl.rejected("create", "--validate=strict", "--filename", "-", body=body)

    assert 'unknown field "spec.storageSize"' in error


def test_unknown_field_pruned(kubectl: Kubectl) -> None:
    body = database("pruned-db", storageSize=10)
    body["status"] = {"dmsStatus": "ONLINE", "color": "blue"}

    kubectl.ok("create", "--validate=false", "--filename", "-", body=body)

    stored = kubectl.get("dmsdatabase", "pruned-db")
    assert "storageSize" not in stored["spec"]
    assert stored["spec"]["engine"] == "Postgres"
    # The main resource ignores status; only the status subresource writes it.
    assert "status" not in stored


def test_status_subresource_ignores_spec(kubectl: Kubectl) -> None:
    kubectl.ok("create", "--filename", "-", body=database("status-db", storageGB=60))
    patch = {
        "spec": {"storageGB": 100},
        "status": {
            "dmsStatus": "ONLINE",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Available",
                    "message": "online",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
        },
    }

    kubectl.ok(
        "patch",
        "dmsdatabase",
        "status-db",
        "--subresource=status",
        "--type=merge",
        "--patch",
        json.dumps(patch),
    )

    stored = kubectl.get("dmsdatabase", "status-db")
    assert stored["spec"]["storageGB"] == 60
    assert stored["status"]["dmsStatus"] == "ONLINE"
    row = kubectl.ok("get", "dmsdb", "status-db", "--no-headers").split()
    assert row[1:6] == ["Postgres", "12", "ONLINE", "True", "Available"]


def test_status_schema_rejects_bad_condition(kubectl: Kubectl) -> None:
    kubectl.ok("create", "--filename", "-", body=database("bad-status-db"))
    patch = {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "Maybe",
                    "reason": "not camel case",
                    "message": "x",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ]
        }
    }

    error = kubectl.rejected(
        "patch",
        "dmsdatabase",
        "bad-status-db",
        "--subresource=status",
        "--type=merge",
        "--patch",
        json.dumps(patch),
    )

    assert "status.conditions[0].status" in error
    assert "status.conditions[0].reason" in error
