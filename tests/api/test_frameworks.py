"""The frameworks are used through their public names only: a private (`_`-prefixed) name of
fastapi or starlette breaks on upgrade, as FastAPI's reworks of its internals show."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.api
ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("fastapi", "starlette")


def _sources() -> list[Path]:
    folders = ("service", "models", "training", "bench", "loadtests", "tests", "deploy")
    return [ROOT / "appraise.py", *(p for f in folders for p in (ROOT / f).rglob("*.py"))]


def _private_uses(tree: ast.AST) -> list[int]:
    """Lines that import a private framework name, or read one off a framework module."""
    bound: set[str] = set()  # local names of framework modules and objects
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(FRAMEWORKS):
            parts = [*(node.module or "").split("."), *(a.name for a in node.names)]
            bound |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            framework = [a for a in node.names if a.name.startswith(FRAMEWORKS)]
            parts = [p for a in framework for p in a.name.split(".")]
            bound |= {a.asname or a.name.split(".")[0] for a in framework}
        else:
            continue
        if any(p.startswith("_") for p in parts):
            lines.append(node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and isinstance(node.args[1], ast.Constant)
        ):
            owner, name = node.args[0].id, str(node.args[1].value)
        else:
            continue
        if owner in bound and name.startswith("_") and not name.startswith("__"):
            lines.append(node.lineno)
    return lines


def test_the_check_finds_a_private_read_and_a_private_import() -> None:
    # Made-up private names, built here so that this file names no real framework internal.
    hidden = "_" + "hidden"
    read = f"from fastapi import routing\ngetattr(routing, '{hidden}', None)\nrouting.{hidden}\n"
    assert _private_uses(ast.parse(read)) == [2, 3]
    assert _private_uses(ast.parse(f"from starlette.{hidden} import helper\n")) == [1]
    assert _private_uses(ast.parse(f"from starlette.routing import {hidden}\n")) == [1]
    assert _private_uses(ast.parse("from starlette.routing import Route\n")) == []


def test_no_private_framework_name_is_imported_or_read() -> None:
    sources = _sources()
    assert len(sources) > 50
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if (lines := _private_uses(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}
