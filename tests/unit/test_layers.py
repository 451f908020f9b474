"""Who may import whom (../shared/docs/architecture.md): the layers stay as drawn."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
# folder → first-party packages its modules must never import
FORBIDDEN = {
    "models": ("training", "service", "bench", "loadtests"),
    "training": ("service", "bench", "loadtests"),
    "service/inference": ("training", "service.api", "service.scoring", "bench", "loadtests"),
    "service/api": ("training", "service.scoring", "bench", "loadtests"),
    "service/scoring": ("training", "service.api", "bench", "loadtests"),
    "bench": ("loadtests",),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_only_what_it_may(folder: str) -> None:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, folder
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in _imports(path)
        for banned in FORBIDDEN[folder]
        if name == banned or name.startswith(banned + ".")
    }
    assert wrong == set()
