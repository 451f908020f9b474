"""The README's Deployment section names only things that exist: files, build arguments,
variables, image settings, and the flags of the commands it shows."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import mlflow.environment_variables
import pytest
from mlflow.cli import server as mlflow_server
from typer.main import get_command

from appraise import app as appraise_app
from service.api.settings import Settings
from tests.deploy.dockerfile import instructions, stages

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Deployment\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def commands(section: str) -> list[list[str]]:
    """The shell commands of the section's bash blocks, continuation lines joined."""
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def test_named_files_exist(section: str) -> None:
    named = set(re.findall(r"`([\w./-]+\.(?:py|sh|yaml))`", section))
    named |= {w for cmd in commands(section) for w in cmd if w.endswith(".yaml")}
    assert named, "the section names the deployment files"
    assert [n for n in sorted(named) if not (ROOT / n).is_file()] == []


def test_variables_exist(section: str) -> None:
    """APPRAISER_* are settings, MLFLOW_* MLflow's own, the rest compose interpolations."""
    names = set(re.findall(r"\b((?:APPRAISER|MLFLOW|TRAIN|GPU)_[A-Z_]+)\b", section))
    compose = (ROOT / "compose.yaml").read_text() + (ROOT / "compose.gpu.yaml").read_text()
    unknown = []
    for name in sorted(names):
        if name.startswith("APPRAISER_"):
            known = name.removeprefix("APPRAISER_").lower() in Settings.model_fields
        elif name.startswith("MLFLOW_"):
            known = hasattr(mlflow.environment_variables, name)
        else:
            known = "${" + name + ":-" in compose
        if not known:
            unknown.append(name)
    assert unknown == []


def test_image_settings_table_matches_the_dockerfile(section: str) -> None:
    runtime = stages((ROOT / "Dockerfile").read_text(), {"PATH": os.environ["PATH"]})["runtime"]
    rows = re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)?) \| (`[^|]+`) \|$", section, re.MULTILINE)
    assert len(rows) >= 3, rows
    for names, values in rows:
        keys = re.findall(r"`([A-Z_]+)`", names)
        assert [runtime.env[k] for k in keys] == re.findall(r"`([^`]+)`", values), names


def test_build_arguments_exist(section: str) -> None:
    declared = {
        args.partition("=")[0]
        for keyword, args in instructions((ROOT / "Dockerfile").read_text())
        if keyword == "ARG"
    }
    used = {
        cmd[i + 1].partition("=")[0]
        for cmd in commands(section)
        for i, word in enumerate(cmd)
        if word == "--build-arg"
    }
    assert "VARIANT" in used
    assert used <= declared
    assert "PYTHON_IMAGE" in declared and "`PYTHON_IMAGE`" in section


def test_command_flags_exist(section: str) -> None:
    """Each `appraise` sub-command run in the image takes the flags it is shown with."""
    cli = get_command(appraise_app)
    checked = 0
    for cmd in commands(section):
        if cmd[:2] != ["docker", "run"]:
            continue
        image = next(i for i, w in enumerate(cmd) if re.fullmatch(r"appraiser(:\w+)?", w))
        words = cmd[image + 1 :]
        if not words:
            continue  # the default command: serve
        group = cli
        while words and words[0] in getattr(group, "commands", {}):
            group = group.commands[words.pop(0)]  # type: ignore[attr-defined]
        options = {o for p in group.params for o in [*p.opts, *p.secondary_opts]}
        assert {w for w in words if w.startswith("--")} <= options, cmd
        checked += 1
    assert checked >= 3


def test_mlflow_server_flags_exist(section: str) -> None:
    """The flags named in the prose (outside code blocks) are all `mlflow server` flags."""
    prose = re.sub(r"```.*?```", "", section, flags=re.DOTALL)
    mentioned = set(re.findall(r"`(--[a-z-]+)", prose))
    assert {"--allowed-hosts", "--serve-artifacts"} <= mentioned
    assert mentioned <= {o for p in mlflow_server.params for o in p.opts}
