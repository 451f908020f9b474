"""The logged model's pip requirements are given, so they must cover what models/ imports."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.imports import imports
from training.tracking import MODEL_DISTRIBUTIONS, model_requirements

pytestmark = pytest.mark.unit
MODELS = Path(__file__).resolve().parents[2] / "models"


def test_every_third_party_import_of_the_model_is_a_listed_distribution() -> None:
    owners = metadata.packages_distributions()
    imported = {name.split(".")[0] for path in MODELS.rglob("*.py") for name in imports(path)}
    third_party = imported - set(sys.stdlib_module_names) - {"models"}
    assert third_party, "no imports found: the scan is broken"
    listed = {canonicalize_name(name) for name in MODEL_DISTRIBUTIONS}
    missing = {
        module: owners.get(module)
        for module in third_party
        if not {canonicalize_name(d) for d in owners.get(module, [])} & listed
    }
    assert not missing, f"models/ imports these; add their distribution: {missing}"


def test_requirements_pin_the_installed_versions() -> None:
    pins = dict(line.split("==") for line in model_requirements())
    assert pins["tensorflow"] == metadata.version("tensorflow")
    assert pins["pillow"] == metadata.version("pillow")
    assert set(pins) == set(MODEL_DISTRIBUTIONS)


def test_a_distribution_not_installed_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the source without `pip install`, training still logs its model."""
    real = metadata.version

    def version(name: str) -> str:
        if name == "appraiser":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    names = [line.split("==")[0] for line in model_requirements()]
    assert names == [n for n in MODEL_DISTRIBUTIONS if n != "appraiser"]
