"""The image and the compose stack, replayed without a container engine (tests/deploy/conftest.py).

The Dockerfile's stages are read from the real file: their COPYs are mirrored into temporary
folders (honouring .dockerignore), their install commands (deploy/install.sh) run into a fresh
virtual environment, and the runtime stage's environment, entry point and health check are
used as the image would use them. compose.yaml's services then run as processes on local ports:
PostgreSQL (Debian's server standing in for the postgres image), the MLflow server on it, the
one-shot training job against it, and the service on the champion.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from bench.servers import stop
from tests.deploy.dockerfile import Copy, Stage, ignored
from tests.postgres import Postgres
from tests.serving import free_port
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ["sh", "deploy/install.sh"]
# The compose stack's ports inside its network; the test maps them to free local ports.
MLFLOW_PORT = 5000
SERVICE_PORT = 8000
TRAIN_SIZE = {"TRAIN_ROWS": "40", "TRAIN_EPOCHS": "1"}
_IMAGE_PATH = re.compile(r"(?<![\w.])(/opt/venv|/app|/data)(?=/|$|[^\w])")
_COMPOSE_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def localise(text: str, roots: Mapping[str, Path]) -> str:
    """Image paths (/opt/venv, /app, /data) in `text` → their local stand-ins."""
    return _IMAGE_PATH.sub(lambda m: str(roots[m.group(1)]), text)


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """Compose's ${NAME:-default} interpolation (from `values`, not the test's environment)."""
    expanded = _COMPOSE_VARIABLE.sub(lambda m: values.get(m.group(1), m.group(2) or ""), text)
    return expanded.replace("$$", "$")


def replay_copy(copy: Copy, target: Path, patterns: list[str]) -> None:
    """COPY from the repository (the build context) into `target`, as Docker would."""
    for source in copy.sources:
        assert not ignored(patterns, PurePosixPath(source)), f"{source} is in .dockerignore"
        path = ROOT / source

        def skip(folder: str, names: list[str]) -> set[str]:
            relative = PurePosixPath(Path(folder).relative_to(ROOT).as_posix())
            return {n for n in names if ignored(patterns, relative / n)}

        if path.is_dir():
            shutil.copytree(path, target, ignore=skip, dirs_exist_ok=True)
        else:
            destination = target / path.name if copy.into_folder else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


@dataclass(frozen=True)
class Image:
    """The replayed image: its virtual environment, source folder and runtime stage."""

    folder: Path
    runtime: Stage
    install_seconds: dict[str, float]

    def roots(self, data: Path) -> dict[str, Path]:
        """Image paths for a container whose /data is `data` (each container has its own)."""
        return {"/opt/venv": self.folder / "venv", "/app": self.folder / "runtime", "/data": data}

    def environment(self, data: Path, extra: Mapping[str, str]) -> dict[str, str]:
        """The runtime stage's ENV (then `extra`), localised, over this process's environment."""
        merged = {**self.runtime.env, **extra}
        return {**host_env(), **{k: localise(v, self.roots(data)) for k, v in merged.items()}}


def host_env() -> dict[str, str]:
    """This process's environment, less what would leak settings or a venv into the replay."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPRAISER_", "MLFLOW_"))}
    env.pop("VIRTUAL_ENV", None)
    return env


@contextmanager
def running(
    argv: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a long-lived command; on exit stop its process group (SIGINT, then SIGKILL)."""
    cwd.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            stop(process)


def wait_healthy(test: list[str], env: dict[str, str], log: Path, timeout_s: float) -> None:
    """Run a compose/Dockerfile health check command until it passes."""
    eventually(
        lambda: subprocess.run(test, env=env, check=False).returncode == 0,
        timeout_s,
        1.0,
        lambda: f"{test} not healthy:\n{log.read_text()[-3000:]}",
    )


def health_command(service: dict[str, Any], roots: Mapping[str, Path], port: int) -> list[str]:
    """A compose healthcheck `test` (["CMD", ...]) as a local command on the local port."""
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD", test
    return [localise(w, roots).replace(f":{port_of(service)}/", f":{port}/") for w in test[1:]]


def port_of(service: dict[str, Any]) -> int:
    """The container port a compose service publishes (host and container port equal)."""
    (mapping,) = service["ports"]
    host, _, container = str(mapping).partition(":")
    assert host == container, mapping
    return int(container)


@dataclass(frozen=True)
class Served:
    """The image's service running on the stack: its process, URL and log."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    env: dict[str, str]
    roots: dict[str, Path]

    @property
    def url(self) -> str:
        """Where it answers."""
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def served(image: Image, stack: Stack, folder: Path, **settings: str) -> Iterator[Served]:
    """The image's entry point (`appraise serve`) on compose's environment for the service,
    with `settings` (APPRAISER_* names) on top; not waited for."""
    service = stack.compose["services"]["service"]
    port = free_port()
    extra = {
        **{
            k: v.replace(f"http://mlflow:{MLFLOW_PORT}", stack.mlflow_url)
            for k, v in service.get("environment", {}).items()
        },
        "APPRAISER_HOST": "127.0.0.1",
        "APPRAISER_PORT": str(port),
        **settings,
    }
    data = folder / "service-data"
    env, roots = image.environment(data, extra), image.roots(data)
    argv = [localise(w, roots) for w in image.runtime.entrypoint + image.runtime.cmd]
    log = folder / "service.log"
    with running(argv, env, data, log) as process:
        yield Served(process, port, log, env, roots)


class MlflowServer:
    """compose's mlflow service as a local process, which a test may stop and start again."""

    def __init__(
        self, argv: list[str], env: dict[str, str], cwd: Path, health: list[str], port: int
    ) -> None:
        self.argv, self.env, self.cwd, self.health, self.port = argv, env, cwd, health, port
        self.log = cwd.parent / "mlflow.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait for its health check."""
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_healthy(self.health, self.env, self.log, timeout_s=120)

    def stop(self) -> None:
        """Stop it (and everything it started)."""
        if self.process is not None:
            stop(self.process)
            self.process = None


@dataclass(frozen=True)
class Stack:
    """The compose stack's MLflow server running locally, after the training job ran."""

    compose: dict[str, Any]
    mlflow_url: str
    mlflow_port: int
    mlflow_volume: Path
    train_data: Path
    train_result: dict[str, Any]
    database: Postgres
    mlflow: MlflowServer


def a_listing(dataset_parent: Path) -> dict[str, Any]:
    """The first listing with a photo of the job's sample data, as JSON for /v1/predict."""
    (dataset,) = [p.parent for p in dataset_parent.glob("*/listings.csv")]
    frame = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    row = frame[(frame["photo"] != "") & (frame["description"] != "")].iloc[0]
    photo = base64.b64encode((dataset / row["photo"]).read_bytes()).decode()
    return {
        "brand": row["brand"],
        "year": int(row["year"]),
        "description": row["description"],
        "photo": photo,
    }
