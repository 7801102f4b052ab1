"""The copies and generated files of the install paths match their sources.

When one of these fails, run `.venv/bin/python -m tests.chart.sync` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chart.manifests import CHART, REPOSITORY
from tests.chart.sync import ARGOCD_CM, HEALTH_KEYS, argocd_cm_patch, copied_files, values_table

SYNC_HINT = "run `.venv/bin/python -m tests.chart.sync`"


@pytest.mark.parametrize(
    ("source", "copy"),
    copied_files(),
    ids=lambda path: str(path.relative_to(REPOSITORY)),
)
def test_copy_matches_source(source: Path, copy: Path) -> None:
    assert copy.is_file(), f"{copy} is missing; {SYNC_HINT}"
    assert copy.read_bytes() == source.read_bytes(), f"{copy} differs from {source}; {SYNC_HINT}"


def test_every_crd_copied() -> None:
    sources = {source.name for source, _ in copied_files() if source.suffix == ".yaml"}

    assert sources == {
        "dmsdatabases.dms.tanzu.community.yaml",
        "dmsorganizations.dms.tanzu.community.yaml",
    }


def test_argocd_cm_patch_current() -> None:
    assert ARGOCD_CM.read_text() == argocd_cm_patch(), f"{ARGOCD_CM} is stale; {SYNC_HINT}"


def test_argocd_cm_patch_parses() -> None:
    data = yaml.safe_load(ARGOCD_CM.read_text())["data"]

    for file_name, key in HEALTH_KEYS.items():
        assert data[key] == (REPOSITORY / "argocd" / file_name).read_text()


def test_chart_readme_values_current() -> None:
    readme = (CHART / "README.md").read_text()

    assert values_table() in readme, f"the values table in the chart README is stale; {SYNC_HINT}"


def test_values_table_lists_every_value() -> None:
    table = values_table()

    for key in ("replicas", "watchNamespaces", "crds.install", "metrics.serviceMonitor.enabled"):
        assert f"| `{key}` |" in table
    assert "| `operator.dms.readTimeoutSeconds` | number | `60` |" in table
