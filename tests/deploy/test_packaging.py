"""What `pip install .` and the images install: the package's requirements, the pins every
install takes (constraints.txt), and the compose services' health checks."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow.cli import server as mlflow_server
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tests.deploy.dockerfile import stages

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
# What a load test or a test run needs and a service must not ship: locust and what it brings.
LOAD_ONLY = {"locust", "gevent", "geventhttpclient", "flask-login", "pyzmq", "pytest"}
# `mlflow server` flags compose.yaml passes, and the MLflow release that added each.
MLFLOW_FLAG_SINCE = {"--allowed-hosts": Version("3.5")}


def _project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
    return project


def _requirements(extras: tuple[str, ...] = ()) -> list[Requirement]:
    project = _project()
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    return [Requirement(line) for line in wanted]


def pins() -> dict[NormalizedName, Version]:
    """constraints.txt as name -> pinned version."""
    found: dict[NormalizedName, Version] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[A-Za-z0-9._-]+", name), f"not a plain pin: {line!r}"
        found[canonicalize_name(name)] = Version(version)
    return found


def _closure(requirements: list[Requirement]) -> set[NormalizedName]:
    """Every distribution `requirements` pull in, read from the installed packages' metadata
    (no index is asked); extras are followed, environment markers evaluated here."""
    names: set[NormalizedName] = set()
    visited: set[tuple[NormalizedName, str]] = set()
    pending = [r for r in requirements if _applies(r, "")]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        names.add(name)
        for extra in {"", *requirement.extras}:
            if (name, extra) in visited:
                continue
            visited.add((name, extra))
            try:
                requires = metadata.requires(name) or []
            except metadata.PackageNotFoundError:
                pytest.fail(f"{name} (required via {requirement}) is not installed: make setup")
            pending += [sub for sub in map(Requirement, requires) if _applies(sub, extra)]
    return names


def _applies(requirement: Requirement, extra: str) -> bool:
    """Whether `requirement` holds here, for a distribution installed with `extra` ("": none)."""
    return requirement.marker is None or requirement.marker.evaluate({"extra": extra})


def test_plain_install_pulls_no_load_test_tools() -> None:
    """`pip install .` (and the images, which add only the gpu extra) leave locust out."""
    closure = _closure(_requirements())
    assert "mlflow" in closure and "tensorflow" in closure  # the walk reached the dependencies
    assert closure & LOAD_ONLY == set()
    assert not [r for r in _requirements(("gpu",)) if canonicalize_name(r.name) in LOAD_ONLY]


def test_load_extra_brings_locust_to_make_setup() -> None:
    """The load tests still get locust: the `load` extra has it and `make setup` installs it."""
    assert "locust" in {canonicalize_name(r.name) for r in _requirements(("load",))}
    assert "locust" in _closure(_requirements(("load",)))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (extras,) = re.findall(r"pip install .*-e '\.\[([\w,]+)\]'", makefile)
    assert {"dev", "load"} <= set(extras.split(","))


def test_constraints_pin_every_requirement_within_its_range() -> None:
    """Each requirement of every extra has a pin, and the pin is one pyproject.toml allows: an
    edit to pyproject.toml without `make lock` fails here rather than in an image build."""
    pinned = pins()
    extras = tuple(_project()["optional-dependencies"])
    wrong = []
    for requirement in _requirements(extras):
        pin = pinned.get(canonicalize_name(requirement.name))
        if pin is None or not requirement.specifier.contains(pin, prereleases=True):
            wrong.append(f"{requirement} pinned at {pin}")
    assert wrong == [], "run `make lock`"
    assert "appraiser" not in pinned, "the project itself is installed from source, not pinned"


def test_every_install_uses_the_constraints() -> None:
    """`make setup` (which reinstalls when the pins change), the image's recipe and its build
    context all take constraints.txt."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "CONSTRAINTS := constraints.txt" in makefile
    assert re.search(r"^\$\(STAMP\): .*\$\(CONSTRAINTS\)", makefile, re.MULTILINE)
    assert re.search(r"pip install .*-c \$\(CONSTRAINTS\) -e", makefile)
    recipe = (ROOT / "deploy" / "install.sh").read_text(encoding="utf-8")
    assert "--constraint constraints.txt" in recipe
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^COPY .*\bconstraints\.txt\b", dockerfile, re.MULTILINE)


def test_mlflow_lower_bound_has_the_server_flags_compose_uses() -> None:
    """compose.yaml's `mlflow server` flags exist in the installed MLflow, and the lowest MLflow
    pyproject.toml allows is one that has them."""
    command = _compose()["services"]["mlflow"]["command"]
    assert command[0] == "server", command
    flags = {word.partition("=")[0] for word in command[1:]}
    assert flags <= {o for p in mlflow_server.params for o in p.opts}
    (mlflow,) = [r for r in _requirements() if r.name == "mlflow"]
    (lowest,) = [Version(s.version) for s in mlflow.specifier if s.operator == ">="]
    needed = {flag: since for flag, since in MLFLOW_FLAG_SINCE.items() if flag in flags}
    assert needed, "compose.yaml passes --allowed-hosts"
    assert all(lowest >= since for since in needed.values()), (mlflow, needed)


def test_only_the_serving_containers_inherit_the_image_health_check() -> None:
    """The image's HEALTHCHECK asks the service on :8000. A container running another command
    has its own check or none: the one-shot train job would otherwise show as unhealthy."""
    runtime = stages((ROOT / "Dockerfile").read_text(encoding="utf-8"), {"PATH": ""})["runtime"]
    assert runtime.cmd == ["serve"] and runtime.healthcheck, "the image checks its service"
    for name, service in _compose()["services"].items():
        if not str(service.get("image", "")).startswith("appraiser"):
            continue
        check = service.get("healthcheck", {})
        if "entrypoint" in service or "command" in service:
            assert check.get("disable") is True or "test" in check, name
    assert _compose()["services"]["train"]["healthcheck"] == {"disable": True}


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return compose
