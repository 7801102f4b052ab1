"""The chart rendered with `helm template` and checked with `helm lint`, without an API server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chart.manifests import (
    ARGOCD,
    CHART,
    RenderError,
    container,
    env_of,
    granted,
    helm_template,
    load_all,
    only,
    rbac_rules,
    run,
    select,
)

NAMESPACED = ("--set", "watchNamespaces={team-a,team-b}")


def test_lint_clean(helm: str) -> None:
    result = run([helm, "lint", "--strict", str(CHART)])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_lint_namespaced_clean(helm: str) -> None:
    result = run([helm, "lint", "--strict", str(CHART), *NAMESPACED, "--set", "replicas=2"])

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ("replicas=two", "/replicas"),
        ("crds.install=maybe", "/crds/install"),
        ("metrics.port=metrics", "/metrics/port"),
        ("operator.driftIntervalSeconds=often", "/operator/driftIntervalSeconds"),
        ("operator.dms.readTimeoutSeconds=slow", "/operator/dms/readTimeoutSeconds"),
        ("logging.level=loud", "/logging/level"),
        ("updateStrategy=BlueGreen", "/updateStrategy"),
        ("watchNamespaces=team-a", "/watchNamespaces"),
        ("peering.name=a b", "/peering/name"),
        ("unknownKey=1", "unknownKey"),
    ],
)
def test_schema_rejects_wrong_value(helm: str, setting: str, path: str) -> None:
    template = run([helm, "template", "x", str(CHART), "--set", setting])
    lint = run([helm, "lint", str(CHART), "--set", setting])

    assert template.returncode != 0
    assert path in template.stderr
    assert lint.returncode != 0


def test_rolling_update_needs_peering(helm: str) -> None:
    with pytest.raises(RenderError, match="RollingUpdate"):
        helm_template(helm, "--set", "updateStrategy=RollingUpdate")

    rendered = helm_template(helm, "--set", "updateStrategy=RollingUpdate", "--set", "replicas=2")
    assert only(rendered, "Deployment")["spec"]["strategy"]["type"] == "RollingUpdate"


def test_default_deployment_standalone(helm: str) -> None:
    rendered = helm_template(helm)
    deployment = only(rendered, "Deployment")
    operator = container(rendered)

    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert operator["command"] == ["kopf"]
    assert operator["args"] == [
        "run",
        "--module=dms_operator.main",
        "--all-namespaces",
        "--standalone",
        "--liveness=http://0.0.0.0:8080/healthz",
        "--log-format=json",
    ]
    assert operator["image"] == "dms-operator:0.1.0"


def test_liveness_probe_uses_kopf_endpoint(helm: str) -> None:
    operator = container(helm_template(helm, "--set", "livenessProbe.port=8181"))

    assert "--liveness=http://0.0.0.0:8181/healthz" in operator["args"]
    assert operator["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    ports = {port["name"]: port["containerPort"] for port in operator["ports"]}
    assert ports["healthz"] == 8181


def test_pod_security_defaults(helm: str) -> None:
    rendered = helm_template(helm)
    pod = only(rendered, "Deployment")["spec"]["template"]["spec"]
    operator = container(rendered)

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert operator["securityContext"]["readOnlyRootFilesystem"] is True
    assert operator["securityContext"]["allowPrivilegeEscalation"] is False
    assert operator["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert set(operator["resources"]) == {"requests", "limits"}
    assert operator["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"][0]["name"] == "tmp"
    assert "emptyDir" in pod["volumes"][0]


def test_log_level_maps_to_kopf_flags(helm: str) -> None:
    debug = container(helm_template(helm, "--set", "logging.level=debug"))["args"]
    warning = container(helm_template(helm, "--set", "logging.level=warning"))["args"]
    info = container(helm_template(helm, "--set", "logging.format=plain"))["args"]

    assert "--verbose" in debug
    assert "--quiet" in warning
    assert "--log-format=plain" in info
    assert not {"--verbose", "--quiet"} & set(info)


def test_settings_become_env(helm: str) -> None:
    rendered = helm_template(
        helm,
        "--set", "operator.driftIntervalSeconds=120",
        "--set-json", "operator.dms.connectTimeoutSeconds=2.5",
        "--set", "operator.dms.readTimeoutSeconds=90",
        "--set", "operator.dms.writeTimeoutSeconds=15",
        "--set", "operator.dms.poolTimeoutSeconds=3",
        "--set", "operator.extraEnv[0].name=DMS_OPERATOR_DMS_RETRY_ATTEMPTS",
        "--set-string", "operator.extraEnv[0].value=2",
    )  # fmt: skip
    env = env_of(rendered)

    assert env["DMS_OPERATOR_DRIFT_INTERVAL_SECONDS"] == "120"
    assert env["DMS_OPERATOR_DMS_CONNECT_TIMEOUT_SECONDS"] == "2.5"
    assert env["DMS_OPERATOR_DMS_READ_TIMEOUT_SECONDS"] == "90"
    assert env["DMS_OPERATOR_DMS_WRITE_TIMEOUT_SECONDS"] == "15"
    assert env["DMS_OPERATOR_DMS_POOL_TIMEOUT_SECONDS"] == "3"
    assert env["DMS_OPERATOR_DMS_RETRY_ATTEMPTS"] == "2"
    assert env["DMS_OPERATOR_METRICS_PORT"] == "9090"


def test_env_names_exist_in_settings(helm: str) -> None:
    # Every DMS_OPERATOR_* variable the chart sets must be a field of OperatorSettings,
    # which ignores unknown variables silently.
    from dms_operator.settings import OperatorSettings

    fields = {f"DMS_OPERATOR_{name.upper()}" for name in OperatorSettings.model_fields}
    chart_names = {name for name in env_of(helm_template(helm)) if name.startswith("DMS_")}

    missing = chart_names - fields
    assert missing == set(), f"the chart sets variables OperatorSettings lacks: {missing}"


def test_metrics_service_and_monitor(helm: str) -> None:
    default = helm_template(helm)
    monitored = helm_template(helm, "--set", "metrics.serviceMonitor.enabled=true")
    disabled = helm_template(helm, "--set", "metrics.enabled=false")

    service = only(default, "Service", "dms-operator-metrics")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert select(default, "ServiceMonitor") == []
    monitor = only(monitored, "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector["app.kubernetes.io/component"] == "metrics"
    assert set(selector.items()) <= set(service["metadata"]["labels"].items())
    assert select(disabled, "Service") == []
    assert env_of(disabled)["DMS_OPERATOR_METRICS_PORT"] == "0"


def test_crds_templated_with_keep(helm: str) -> None:
    rendered = helm_template(helm)
    crds = select(rendered, "CustomResourceDefinition")

    assert sorted(crd["metadata"]["name"] for crd in crds) == [
        "dmsdatabases.dms.tanzu.community",
        "dmsorganizations.dms.tanzu.community",
    ]
    for crd in crds:
        annotations = crd["metadata"]["annotations"]
        assert annotations["helm.sh/resource-policy"] == "keep"
        assert annotations["argocd.argoproj.io/sync-wave"] == "-5"
        assert "Prune=false" in annotations["argocd.argoproj.io/sync-options"]


def test_crds_optional(helm: str) -> None:
    without = helm_template(helm, "--set", "crds.install=false")
    unkept = helm_template(helm, "--set", "crds.keep=false")

    assert select(without, "CustomResourceDefinition") == []
    for crd in select(unkept, "CustomResourceDefinition"):
        assert "helm.sh/resource-policy" not in crd["metadata"]["annotations"]


def test_cluster_wide_rbac(helm: str) -> None:
    rules = rbac_rules(helm_template(helm))

    assert list(rules) == [("ClusterRole", "", "dms-operator")]
    cluster = rules["ClusterRole", "", "dms-operator"]
    assert granted(cluster, "", "secrets") == {
        "get", "list", "watch", "create", "update", "patch", "delete"
    }  # fmt: skip
    assert granted(cluster, "dms.tanzu.community", "dmsdatabases") == {
        "get", "list", "watch", "patch"
    }  # fmt: skip
    assert granted(cluster, "dms.tanzu.community", "dmsdatabases/status") == {"get", "patch"}
    assert granted(cluster, "", "events") == {"create", "patch"}
    assert granted(cluster, "events.k8s.io", "events") == {"create", "patch"}
    assert granted(cluster, "apiextensions.k8s.io", "customresourcedefinitions") == {
        "list", "watch"
    }  # fmt: skip
    assert granted(cluster, "kopf.dev", "clusterkopfpeerings") == set()


def test_namespaced_rbac_keeps_secrets_local(helm: str) -> None:
    rendered = helm_template(helm, *NAMESPACED, release="ops", namespace="ops")
    rules = rbac_rules(rendered)
    operator = container(rendered)

    cluster = rules["ClusterRole", "", "ops-dms-operator"]
    assert granted(cluster, "", "secrets") == set()
    assert granted(cluster, "dms.tanzu.community", "dmsdatabases") == set()
    assert granted(cluster, "", "namespaces") == {"list", "watch"}
    for namespace in ("team-a", "team-b"):
        role = rules["Role", namespace, "ops-dms-operator"]
        assert "delete" in granted(role, "", "secrets")
        binding = only(
            [m for m in select(rendered, "RoleBinding") if m["metadata"]["namespace"] == namespace],
            "RoleBinding",
        )
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "ops-dms-operator", "namespace": "ops"}
        ]
    assert ("Role", "ops", "ops-dms-operator") not in rules
    assert "--namespace=team-a" in operator["args"]
    assert "--namespace=team-b" in operator["args"]
    assert "--all-namespaces" not in operator["args"]


def test_two_replicas_use_peering(helm: str) -> None:
    rendered = helm_template(helm, "--set", "replicas=2")
    operator = container(rendered)
    rules = rbac_rules(rendered)["ClusterRole", "", "dms-operator"]

    assert operator["command"] == ["/bin/sh", "-c"]
    [script] = operator["args"]
    assert script.startswith("exec kopf run --module=dms_operator.main --all-namespaces ")
    assert "--peering=dms-operator" in script
    assert "--standalone" not in script
    assert script.endswith('--priority="-$(date +%s%N)"')
    assert only(rendered, "ClusterKopfPeering", "dms-operator")
    assert granted(rules, "kopf.dev", "clusterkopfpeerings") == {"get", "list", "watch", "patch"}


def test_namespaced_peering_objects(helm: str) -> None:
    rendered = helm_template(
        helm, *NAMESPACED, "--set", "peering.enabled=true", "--set", "peering.name=dms"
    )
    peerings = select(rendered, "KopfPeering")

    assert sorted(p["metadata"]["namespace"] for p in peerings) == ["team-a", "team-b"]
    assert {p["metadata"]["name"] for p in peerings} == {"dms"}
    assert select(rendered, "ClusterKopfPeering") == []
    role = rbac_rules(rendered)["Role", "team-a", "dms-operator"]
    assert granted(role, "kopf.dev", "kopfpeerings") == {"get", "list", "watch", "patch"}


def test_peering_crds_in_crds_folder(helm: str) -> None:
    result = run([helm, "show", "crds", str(CHART)])
    names = [doc["metadata"]["name"] for doc in yaml.safe_load_all(result.stdout) if doc]

    assert result.returncode == 0, result.stderr
    assert names == ["clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"]


def test_argocd_health_configmap(helm: str) -> None:
    assert select(helm_template(helm), "ConfigMap") == []

    rendered = helm_template(helm, "--set", "argocd.healthChecks.enabled=true")
    data = only(rendered, "ConfigMap", "dms-operator-argocd-health")["data"]

    assert data == {
        "resource.customizations.health.dms.tanzu.community_DMSDatabase": (
            ARGOCD / "health-dmsdatabase.lua"
        ).read_text(),
        "resource.customizations.health.dms.tanzu.community_DMSOrganization": (
            ARGOCD / "health-dmsorganization.lua"
        ).read_text(),
    }


def test_notes_name_next_steps(helm: str) -> None:
    # `helm template` does not render NOTES.txt; a client-side install dry-run does.
    installed = run([helm, "install", "x", str(CHART), "--dry-run=client", *NAMESPACED])

    assert installed.returncode == 0, installed.stderr
    assert "kubectl create secret generic dms-provider-admin" in installed.stdout
    assert "examples/organization.yaml" in installed.stdout
    assert "It watches the namespaces: team-a, team-b." in installed.stdout


def test_argocd_application_values_valid(helm: str, tmp_path: Path) -> None:
    applications = load_all((ARGOCD / "application.yaml").read_text())
    [operator_app] = [
        a for a in applications if a["spec"]["source"].get("path") == "charts/dms-operator"
    ]
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(operator_app["spec"]["source"]["helm"]["valuesObject"]))

    rendered = helm_template(helm, "-f", str(values))

    assert container(rendered)["image"] == "registry.example.com/dms-operator:0.1.0"
    assert "ServerSideApply=true" in operator_app["spec"]["syncPolicy"]["syncOptions"]
