"""The CRDs follow the API contract and the rules that keep them usable.

Checked without an API server: names, printer columns, status subresource, a
description on every field, no schema defaults, bounded strings, lists and maps
(so the API server accepts the CEL rules' cost), and a message on every CEL rule.
`tests/integration/test_crd_validation.py` runs the rules on a real API server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dms_operator.models.database import DMSDatabaseSpec

CRD_DIR = Path(__file__).resolve().parents[2] / "crds"
DATABASE_CRD = CRD_DIR / "dmsdatabases.dms.tanzu.community.yaml"
ORGANIZATION_CRD = CRD_DIR / "dmsorganizations.dms.tanzu.community.yaml"
BOTH = [
    pytest.param(DATABASE_CRD, id="DMSDatabase"),
    pytest.param(ORGANIZATION_CRD, id="DMSOrganization"),
]

DATABASE_IMMUTABLE = [
    "engine",
    "instanceName",
    "environmentId",
    "dataStoreName",
    "databaseName",
    "adminUsername",
    "port",
    "monitoring",
    "writeConnectionSecretToRef",
]
# Immutable fields that may be absent need a rule on spec so they cannot be added later.
DATABASE_OPTIONAL_IMMUTABLE = [name for name in DATABASE_IMMUTABLE if name != "engine"]


def load_crd(path: Path) -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(path.read_text())
    return crd


def schema_of(path: Path) -> dict[str, Any]:
    (version,) = load_crd(path)["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every schema node under `node` with its field path."""
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from walk(child, f"{path}.{name}")
    if "items" in node:
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}{{}}")


def rules_on(node: dict[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = node.get("x-kubernetes-validations", [])
    return rules


@pytest.mark.parametrize(
    ("path", "plural", "kind", "short_name"),
    [
        (DATABASE_CRD, "dmsdatabases", "DMSDatabase", "dmsdb"),
        (ORGANIZATION_CRD, "dmsorganizations", "DMSOrganization", "dmsorg"),
    ],
)
def test_crd_names(path: Path, plural: str, kind: str, short_name: str) -> None:
    spec = load_crd(path)["spec"]

    assert load_crd(path)["metadata"]["name"] == f"{plural}.dms.tanzu.community"
    assert spec["group"] == "dms.tanzu.community"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == kind
    assert spec["names"]["plural"] == plural
    assert spec["names"]["shortNames"] == [short_name]
    assert spec["names"]["categories"] == ["dms"]


@pytest.mark.parametrize("path", BOTH)
def test_crd_single_served_version_with_status(path: Path) -> None:
    (version,) = load_crd(path)["spec"]["versions"]

    assert version["name"] == "v1alpha1"
    assert version["served"] is True
    assert version["storage"] is True
    assert version["subresources"] == {"status": {}}


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        (
            DATABASE_CRD,
            [
                ("Engine", ".spec.engine"),
                ("Version", ".spec.version"),
                ("DMS-Status", ".status.dmsStatus"),
                ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
                ("Reason", '.status.conditions[?(@.type=="Ready")].reason'),
                ("Age", ".metadata.creationTimestamp"),
            ],
        ),
        (
            ORGANIZATION_CRD,
            [
                ("Company", ".status.companyName"),
                ("Mode", ".status.instanceMode"),
                ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
                ("Reason", '.status.conditions[?(@.type=="Ready")].reason'),
                ("Age", ".metadata.creationTimestamp"),
            ],
        ),
    ],
)
def test_crd_printer_columns(path: Path, columns: list[tuple[str, str]]) -> None:
    (version,) = load_crd(path)["spec"]["versions"]
    found = [(column["name"], column["jsonPath"]) for column in version["additionalPrinterColumns"]]

    assert found == columns
    assert version["additionalPrinterColumns"][-1]["type"] == "date"


@pytest.mark.parametrize("path", BOTH)
def test_crd_every_field_described(path: Path) -> None:
    schema = schema_of(path)
    missing = [
        field_path
        for field_path, node in walk(schema, "")
        if field_path not in {".metadata"}
        and not str(node.get("description", "")).strip()
        # Map values are described by the map field itself.
        and not field_path.endswith("{}")
    ]

    assert missing == []


@pytest.mark.parametrize("path", BOTH)
def test_crd_structural(path: Path) -> None:
    schema = schema_of(path)
    untyped = [field_path for field_path, node in walk(schema, "") if "type" not in node]
    preserved = [
        field_path
        for field_path, node in walk(schema, "")
        if node.get("x-kubernetes-preserve-unknown-fields")
    ]

    assert untyped == []
    assert preserved == []


@pytest.mark.parametrize("path", BOTH)
def test_crd_sets_no_defaults(path: Path) -> None:
    defaulted = [field_path for field_path, node in walk(schema_of(path), "") if "default" in node]

    assert defaulted == []


@pytest.mark.parametrize("path", BOTH)
def test_crd_spec_values_bounded(path: Path) -> None:
    # The API server estimates each CEL rule's cost from these bounds and rejects a
    # CRD whose rules could cost too much, so nothing in spec may be unbounded.
    spec = schema_of(path)["properties"]["spec"]
    unbounded = []
    for field_path, node in walk(spec, "spec"):
        kind = node["type"]
        if kind == "string" and "maxLength" not in node and "enum" not in node:
            unbounded.append(field_path)
        if kind == "array" and "maxItems" not in node:
            unbounded.append(field_path)
        if kind == "object" and "additionalProperties" in node and "maxProperties" not in node:
            unbounded.append(field_path)

    assert unbounded == []


@pytest.mark.parametrize("path", BOTH)
def test_crd_rules_have_field_messages(path: Path) -> None:
    schema = schema_of(path)
    rules = [rule for _, node in walk(schema, "") for rule in rules_on(node)]

    assert rules
    for rule in rules:
        message = rule.get("message", "")
        assert message.startswith(("spec.", "metadata.name")), rule["rule"]
        # Each message states the rule, then the fix after a ';' or ','.
        assert ";" in message or "," in message, rule["rule"]


def test_crd_database_immutable_fields() -> None:
    spec = schema_of(DATABASE_CRD)["properties"]["spec"]
    immutable = sorted(
        name
        for name, node in spec["properties"].items()
        if any(rule["rule"] == "self == oldSelf" for rule in rules_on(node))
    )
    spec_rules = [rule["rule"] for rule in rules_on(spec)]

    assert immutable == sorted(DATABASE_IMMUTABLE)
    for name in DATABASE_OPTIONAL_IMMUTABLE:
        assert f"has(self.{name}) == has(oldSelf.{name})" in spec_rules


def test_crd_database_version_fixed_once_created() -> None:
    root_rules = rules_on(schema_of(DATABASE_CRD))
    version_rules = [rule for rule in root_rules if rule.get("fieldPath") == ".spec.version"]

    assert len(version_rules) == 1
    assert "oldSelf.status.id" in version_rules[0]["rule"]
    assert "oldSelf.status.task" in version_rules[0]["rule"]
    assert version_rules[0]["message"].startswith("spec.version is immutable")


def test_crd_database_storage_grows_only() -> None:
    spec = schema_of(DATABASE_CRD)["properties"]["spec"]

    assert [rule["rule"] for rule in rules_on(spec["properties"]["storageGB"])] == [
        "self >= oldSelf"
    ]
    assert "!has(oldSelf.storageGB) || has(self.storageGB)" in [
        rule["rule"] for rule in rules_on(spec)
    ]


def test_crd_organization_admin_email_immutable() -> None:
    spec = schema_of(ORGANIZATION_CRD)["properties"]["spec"]
    email = spec["properties"]["adminUser"]["properties"]["email"]

    assert [rule["rule"] for rule in rules_on(email)] == ["self == oldSelf"]
    assert [rule["rule"] for rule in rules_on(spec)] == [
        "!has(oldSelf.adminUser) || has(self.adminUser)"
    ]


@pytest.mark.parametrize(
    ("spec_fields", "crd_rule_field"),
    [
        ({"instancePlan": "small", "cpu": 2}, ".instancePlan"),
        (
            {
                "organizationRef": {"name": "acme"},
                "organizationId": "0b0e8c8e-1d2f-4a5b-9c7d-123456789abc",
            },
            ".organizationId",
        ),
    ],
)
def test_crd_exclusive_messages_match_model(
    spec_fields: dict[str, Any], crd_rule_field: str
) -> None:
    spec = schema_of(DATABASE_CRD)["properties"]["spec"]
    (crd_message,) = [
        rule["message"] for rule in rules_on(spec) if rule.get("fieldPath") == crd_rule_field
    ]
    body = {"credentialsSecretRef": {"name": "dms"}, "engine": "Postgres", "version": "12"}

    with pytest.raises(ValueError, match="mutually exclusive") as raised:
        DMSDatabaseSpec.model_validate({**body, **spec_fields})

    assert crd_message in str(raised.value)
