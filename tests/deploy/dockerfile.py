"""Just enough of a Dockerfile and .dockerignore reader to replay an image's recipe locally.

No container engine runs on CI, so the recipe test reads the build stages from the real
Dockerfile (their files, install commands, environment, entry point and health check) and runs
them in temporary folders instead of image layers.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Copy:
    """One COPY from the build context: its sources and its destination in the image."""

    sources: tuple[str, ...]
    destination: PurePosixPath
    into_folder: bool  # the destination is a folder the sources go into (trailing / or several)


@dataclass
class Stage:
    """One FROM ... AS name stage, with the instructions the recipe test replays."""

    name: str
    args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    workdir: PurePosixPath = field(default_factory=lambda: PurePosixPath("/"))
    copies: list[Copy] = field(default_factory=list)
    runs: list[tuple[PurePosixPath, str]] = field(default_factory=list)
    copied_from_stages: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        result.append((keyword.upper(), rest.strip()))
        pending = ""
    return result


def expand(value: str, variables: dict[str, str]) -> str:
    """Substitute $NAME and ${NAME}; unknown names are an error, not an empty string."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise KeyError(f"${name} is not set (known: {sorted(variables)})")
        return variables[name]

    return _VARIABLE.sub(replace, value)


def _exec_form(arguments: str) -> list[str]:
    """A JSON-array ENTRYPOINT/CMD; the shell form is refused (it hides signals)."""
    parsed = json.loads(arguments)
    if not (isinstance(parsed, list) and all(isinstance(a, str) for a in parsed)):
        raise ValueError(f"expected a JSON array of strings, got {arguments!r}")
    return parsed


def stages(text: str, base_env: dict[str, str]) -> dict[str, Stage]:
    """The Dockerfile's stages by name; `base_env` stands in for the base image's environment."""
    global_args: dict[str, str] = {}
    found: dict[str, Stage] = {}
    stage: Stage | None = None
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            name = arguments.split()[-1] if " AS " in arguments.upper() else arguments
            stage = found[name] = Stage(name=name, env=dict(base_env))
            continue
        if keyword == "ARG":
            key, _, default = arguments.partition("=")
            (stage.args if stage else global_args)[key] = default
            continue
        if stage is None:
            raise ValueError(f"{keyword} before the first FROM")
        variables = {**global_args, **stage.env, **stage.args}
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                stage.env[key] = expand(value, variables)
        elif keyword == "WORKDIR":
            stage.workdir = stage.workdir / expand(arguments, variables)
        elif keyword == "COPY":
            words = shlex.split(arguments)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            origin = [f.partition("=")[2] for f in flags if f.startswith("--from=")]
            if origin:
                stage.copied_from_stages.extend(origin)
            else:
                into = paths[-1].endswith("/") or len(paths) > 2
                stage.copies.append(Copy(tuple(paths[:-1]), stage.workdir / paths[-1], into))
        elif keyword == "RUN":
            stage.runs.append((stage.workdir, expand(arguments, variables)))
        elif keyword == "ENTRYPOINT":
            stage.entrypoint = _exec_form(arguments)
        elif keyword == "CMD":
            stage.cmd = _exec_form(arguments)
        elif keyword == "HEALTHCHECK":
            stage.healthcheck = _exec_form(arguments.partition(" CMD ")[2])
    return found


def ignored(patterns: list[str], relative: PurePosixPath) -> bool:
    """Whether .dockerignore `patterns` keep `relative` (a context path) out of the build."""
    for pattern in patterns:
        name = pattern.removeprefix("**/")
        if fnmatch.fnmatch(str(relative), pattern) or (
            pattern.startswith("**/") and fnmatch.fnmatch(relative.name, name)
        ):
            return True
    return False


def ignore_patterns(dockerignore: Path) -> list[str]:
    """The patterns of a .dockerignore file (comments and blank lines dropped)."""
    lines = dockerignore.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
