"""Copies and generated text that the install paths carry, and a command to refresh them.

Helm reads only files inside the chart, and kustomize only files below its folder,
so both keep copies of the CRDs in crds/ and (the chart) of the Argo CD health
checks in argocd/. The chart README's values table and argocd/argocd-cm.yaml are
generated. `tests/chart/test_copies.py` fails when any of them is stale; then run

    .venv/bin/python -m tests.chart.sync
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.chart.manifests import ARGOCD, CHART, CRDS, DEPLOY, REPOSITORY

VALUES_START = "<!-- values:start (generated from values.schema.json) -->"
VALUES_END = "<!-- values:end -->"
_HEALTH_PREFIX = "resource.customizations.health.dms.tanzu.community_"
HEALTH_KEYS = {
    "health-dmsdatabase.lua": f"{_HEALTH_PREFIX}DMSDatabase",
    "health-dmsorganization.lua": f"{_HEALTH_PREFIX}DMSOrganization",
}
ARGOCD_CM = ARGOCD / "argocd-cm.yaml"
_ARGOCD_CM_HEADER = """\
# The Argo CD health checks of dms-operator, as a merge patch for Argo CD's argocd-cm:
#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file argocd/argocd-cm.yaml
# Generated from argocd/health-*.lua by `python -m tests.chart.sync`; edit those instead.
"""


def copied_files() -> list[tuple[Path, Path]]:
    """Every (source, copy) pair whose contents must be identical."""
    pairs: list[tuple[Path, Path]] = []
    for crd in sorted(CRDS.glob("*.yaml")):
        pairs.append((crd, CHART / "files" / "crds" / crd.name))
        pairs.append((crd, DEPLOY / "crds" / crd.name))
    for script in sorted(ARGOCD.glob("*.lua")):
        pairs.append((script, CHART / "files" / "argocd" / script.name))
    return pairs


def argocd_cm_patch() -> str:
    """The text of argocd/argocd-cm.yaml, with each health check as a literal block."""
    lines = [_ARGOCD_CM_HEADER.rstrip("\n"), "data:"]
    for file_name, key in HEALTH_KEYS.items():
        lines.append(f"  {key}: |")
        for line in (ARGOCD / file_name).read_text().splitlines():
            lines.append(f"    {line}" if line else "")
    return "\n".join(lines) + "\n"


def _leaves(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, child in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if child.get("type") == "object" and "properties" in child:
            yield from _leaves(child, f"{path}.")
        else:
            yield path, child


def _default(values: dict[str, Any], path: str) -> str:
    value: Any = values
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return ""
        value = value[part]
    return f"`{json.dumps(value, separators=(', ', ': '))}`"


def values_table() -> str:
    """A Markdown table of every value: key, type, default and description."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for path, child in _leaves(schema):
        description = child.get("description", "").replace("|", "\\|")
        kind = child.get("type", "")
        if "enum" in child:
            kind += " (" + ", ".join(f"`{option}`" for option in child["enum"]) + ")"
        rows.append(f"| `{path}` | {kind} | {_default(values, path)} | {description} |")
    return "\n".join(rows)


def readme_with_values(readme: str) -> str:
    """Return `readme` with the text between the values markers replaced by the table."""
    start = readme.index(VALUES_START) + len(VALUES_START)
    end = readme.index(VALUES_END)
    return readme[:start] + "\n" + values_table() + "\n" + readme[end:]


def main() -> None:
    for source, target in copied_files():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        print(f"copied {source.relative_to(REPOSITORY)} to {target.relative_to(REPOSITORY)}")
    ARGOCD_CM.write_text(argocd_cm_patch())
    print(f"wrote {ARGOCD_CM.relative_to(REPOSITORY)}")
    readme = CHART / "README.md"
    readme.write_text(readme_with_values(readme.read_text()))
    print(f"wrote the values table of {readme.relative_to(REPOSITORY)}")


if __name__ == "__main__":
    main()
