"""Shared fixtures: tiny datasets made by our own generator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from training.synth import write_synthetic_dataset


@pytest.fixture(scope="session")
def tiny_dataset_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 synthetic listings with 32 px photos, generated once per test session."""
    folder = tmp_path_factory.mktemp("template") / "tiny"
    write_synthetic_dataset(folder, rows=40, seed=3, photo_size=32)
    return folder


@pytest.fixture
def tiny_dataset(tiny_dataset_template: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny dataset that a test may damage."""
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_dataset_template, folder, symlinks=True)
    return folder
