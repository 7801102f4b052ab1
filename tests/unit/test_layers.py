"""Imports inside dms_operator point down the layers, never up or sideways into test tools.

The layers, top to bottom: handlers → reconcile → clients → models. A module
may import from its own layer and from the layers below it. Top-level modules
(settings, metrics, the package root) are shared by every layer and import no
layer themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "operator" / "dms_operator"
LAYERS = ["models", "clients", "reconcile", "handlers"]
FORBIDDEN_PACKAGES = ("dms_simulator", "dms_testenv", "tests")


def _layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "dms_operator":
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    imported: list[str] = []
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                imported.append(".".join([*base, node.module] if node.module else base))
            elif node.module:
                imported.append(node.module)
    return imported


def _modules() -> list[Path]:
    return sorted(PACKAGE_ROOT.rglob("*.py"))


def test_package_found() -> None:
    assert (PACKAGE_ROOT / "__init__.py").is_file()


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE_ROOT)))
def test_imports_point_down(path: Path) -> None:
    module = _module_name(path)
    own_layer = _layer_of(module)
    for imported in _imports(path, module):
        assert not imported.startswith(FORBIDDEN_PACKAGES), (
            f"{module} imports {imported}: the operator must not depend on test tools"
        )
        target_layer = _layer_of(imported)
        if target_layer is None:
            continue
        if own_layer is None:
            assert module == "dms_operator.main", (
                f"{module} is outside the layers and imports {imported}; "
                "only dms_operator.main wires the layers together"
            )
            continue
        assert target_layer <= own_layer, (
            f"{module} ({LAYERS[own_layer]}) imports {imported} ({LAYERS[target_layer]}), "
            "a higher layer"
        )
