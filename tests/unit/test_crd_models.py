"""The CRD schemas under crds/ and the pydantic models describe the same API.

Both sides are reduced to one comparable form (field names, types, required fields,
enums and value constraints) and compared in both directions, so a field, enum value
or constraint added on one side only fails here. Descriptions and the Kubernetes
extensions (`x-kubernetes-*`, integer formats) exist only in the CRD and are not
compared.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from dms_operator.models.database import DMSDatabaseSpec, DMSDatabaseStatus
from dms_operator.models.organization import DMSOrganizationSpec, DMSOrganizationStatus

CRD_DIR = Path(__file__).resolve().parents[2] / "crds"
DATABASE_CRD = CRD_DIR / "dmsdatabases.dms.tanzu.community.yaml"
ORGANIZATION_CRD = CRD_DIR / "dmsorganizations.dms.tanzu.community.yaml"

# JSON Schema keywords that constrain values and must match on both sides.
CONSTRAINT_KEYWORDS = (
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "maxItems",
    "maxProperties",
)

CASES = [
    pytest.param(DATABASE_CRD, "spec", DMSDatabaseSpec, id="DMSDatabase.spec"),
    pytest.param(DATABASE_CRD, "status", DMSDatabaseStatus, id="DMSDatabase.status"),
    pytest.param(ORGANIZATION_CRD, "spec", DMSOrganizationSpec, id="DMSOrganization.spec"),
    pytest.param(ORGANIZATION_CRD, "status", DMSOrganizationStatus, id="DMSOrganization.status"),
]


def load_crd_schema(path: Path) -> dict[str, Any]:
    """Return the openAPIV3Schema of the only version of the CRD at `path`."""
    crd = yaml.safe_load(path.read_text())
    (version,) = crd["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """Return `node` with every `$ref` into `$defs` replaced by a copy of its target."""
    if isinstance(node, list):
        return [inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].removeprefix("#/$defs/")]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return inline_refs(merged, defs)
    return {key: inline_refs(value, defs) for key, value in node.items() if key != "$defs"}


def drop_null_variant(node: dict[str, Any]) -> dict[str, Any]:
    """Turn pydantic's `anyOf: [X, {type: null}]` for an optional field into X."""
    variants = node.get("anyOf")
    if variants is None:
        return node
    non_null = [variant for variant in variants if variant.get("type") != "null"]
    assert len(non_null) == 1, f"unexpected union in model schema: {variants}"
    outer = {key: value for key, value in node.items() if key != "anyOf"}
    return {**outer, **non_null[0]}


def canonical(node: dict[str, Any]) -> dict[str, Any]:
    """Reduce a schema node from either side to the parts both sides must agree on."""
    node = drop_null_variant(node)
    result: dict[str, Any] = {"type": node.get("type")}
    if "enum" in node:
        result["enum"] = sorted(node["enum"])
    if node.get("type") == "string" and "format" in node:
        result["format"] = node["format"]
    for keyword in CONSTRAINT_KEYWORDS:
        if keyword in node:
            result[keyword] = node[keyword]
    if "properties" in node:
        result["properties"] = {
            name: canonical(child) for name, child in node["properties"].items()
        }
        result["required"] = sorted(node.get("required", []))
    if "items" in node:
        result["items"] = canonical(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        result["additionalProperties"] = canonical(node["additionalProperties"])
    return result


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return the model's JSON schema with camelCase names and `$ref`s inlined."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    inlined: dict[str, Any] = inline_refs(schema, schema.get("$defs", {}))
    return inlined


def differences(crd: dict[str, Any], model: dict[str, Any], path: str) -> list[str]:
    """List every way the canonical CRD node and model node differ, with its field path."""
    found: list[str] = []
    for key in sorted(set(crd) | set(model)):
        if key == "properties":
            continue
        if key in {"items", "additionalProperties"} and key in crd and key in model:
            found += differences(crd[key], model[key], f"{path}.{key}")
            continue
        if crd.get(key) != model.get(key):
            found.append(
                f"{path}: {key} is {crd.get(key)!r} in the CRD, {model.get(key)!r} in the model"
            )
    crd_fields = crd.get("properties", {})
    model_fields = model.get("properties", {})
    for name in sorted(set(crd_fields) - set(model_fields)):
        found.append(f"{path}.{name}: in the CRD only")
    for name in sorted(set(model_fields) - set(crd_fields)):
        found.append(f"{path}.{name}: in the model only")
    for name in sorted(set(crd_fields) & set(model_fields)):
        found += differences(crd_fields[name], model_fields[name], f"{path}.{name}")
    return found


@pytest.mark.parametrize(("crd_path", "part", "model"), CASES)
def test_crd_matches_model(crd_path: Path, part: str, model: type[BaseModel]) -> None:
    crd_node = canonical(load_crd_schema(crd_path)["properties"][part])
    model_node = canonical(model_schema(model))

    assert differences(crd_node, model_node, part) == []


def test_comparison_finds_field_in_crd_only() -> None:
    crd_schema = copy.deepcopy(load_crd_schema(DATABASE_CRD)["properties"]["spec"])
    crd_schema["properties"]["backup"]["properties"]["compression"] = {"type": "boolean"}

    found = differences(canonical(crd_schema), canonical(model_schema(DMSDatabaseSpec)), "spec")

    assert found == ["spec.backup.compression: in the CRD only"]


def test_comparison_finds_field_in_model_only() -> None:
    model_node = canonical(model_schema(DMSOrganizationSpec))
    model_node["properties"]["region"] = {"type": "string"}
    crd_node = canonical(load_crd_schema(ORGANIZATION_CRD)["properties"]["spec"])

    assert differences(crd_node, model_node, "spec") == ["spec.region: in the model only"]


def test_comparison_finds_enum_and_required_changes() -> None:
    crd_schema = copy.deepcopy(load_crd_schema(DATABASE_CRD)["properties"]["spec"])
    crd_schema["properties"]["engine"]["enum"].append("Oracle")
    crd_schema["required"].remove("version")

    found = differences(canonical(crd_schema), canonical(model_schema(DMSDatabaseSpec)), "spec")

    assert len(found) == 2
    assert any(line.startswith("spec: required is") for line in found)
    assert any(line.startswith("spec.engine: enum is") for line in found)


def test_comparison_finds_constraint_change() -> None:
    crd_schema = copy.deepcopy(load_crd_schema(DATABASE_CRD)["properties"]["spec"])
    crd_schema["properties"]["maintenanceWindow"]["properties"]["durationHours"]["maximum"] = 12

    found = differences(canonical(crd_schema), canonical(model_schema(DMSDatabaseSpec)), "spec")

    assert found == [
        "spec.maintenanceWindow.durationHours: maximum is 12 in the CRD, 24 in the model"
    ]
