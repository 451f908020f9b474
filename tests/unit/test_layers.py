"""Who may import whom (../shared/docs/architecture.md): the layers stay as drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imports import imports

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


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_only_what_it_may(folder: str) -> None:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, folder
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imports(path)
        for banned in FORBIDDEN[folder]
        if name == banned or name.startswith(banned + ".")
    }
    assert wrong == set()
