"""deploy/ equals the chart's defaults: the same objects, RBAC rules and CRDs.

Both are rendered (`kubectl kustomize deploy/` and `helm template dms-operator
charts/dms-operator --namespace dms-operator`) and compared object by object, after
dropping the labels and annotations only Helm adds.
"""

from __future__ import annotations

import pytest

from tests.chart.manifests import (
    Manifest,
    helm_template,
    identity,
    kustomize,
    only,
    rbac_rules,
    select,
    without_helm_metadata,
)


@pytest.fixture(scope="module")
def chart_objects(helm: str) -> dict[tuple[str, str, str], Manifest]:
    return {identity(m): without_helm_metadata(m) for m in helm_template(helm)}


@pytest.fixture(scope="module")
def kustomize_objects(kubectl: str) -> dict[tuple[str, str, str], Manifest]:
    rendered = kustomize(kubectl)
    assert only(rendered, "Namespace", "dms-operator")
    return {identity(m): m for m in rendered if m["kind"] != "Namespace"}


def test_same_objects(
    chart_objects: dict[tuple[str, str, str], Manifest],
    kustomize_objects: dict[tuple[str, str, str], Manifest],
) -> None:
    assert sorted(kustomize_objects) == sorted(chart_objects)


def test_same_rbac_rules(
    chart_objects: dict[tuple[str, str, str], Manifest],
    kustomize_objects: dict[tuple[str, str, str], Manifest],
) -> None:
    chart_rules = rbac_rules(chart_objects.values())

    assert chart_rules
    assert rbac_rules(kustomize_objects.values()) == chart_rules
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        for chart_binding in select(chart_objects.values(), kind):
            binding = kustomize_objects[identity(chart_binding)]
            assert binding["roleRef"] == chart_binding["roleRef"]
            assert binding["subjects"] == chart_binding["subjects"]


def test_same_crds(
    chart_objects: dict[tuple[str, str, str], Manifest],
    kustomize_objects: dict[tuple[str, str, str], Manifest],
) -> None:
    chart_crds = select(chart_objects.values(), "CustomResourceDefinition")

    assert len(chart_crds) == 2
    for crd in chart_crds:
        assert kustomize_objects[identity(crd)] == crd


@pytest.mark.parametrize(
    "key",
    [
        ("ServiceAccount", "dms-operator", "dms-operator"),
        ("Service", "dms-operator", "dms-operator-metrics"),
        ("Deployment", "dms-operator", "dms-operator"),
    ],
    ids=lambda key: key[0],
)
def test_same_workload(
    chart_objects: dict[tuple[str, str, str], Manifest],
    kustomize_objects: dict[tuple[str, str, str], Manifest],
    key: tuple[str, str, str],
) -> None:
    assert kustomize_objects[key] == chart_objects[key]
