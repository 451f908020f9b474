"""The image's recipe and the compose stack, replayed without a container engine.

The Dockerfile's stages are read from the real file: their COPYs are mirrored into temporary
folders (honouring .dockerignore), their install commands (deploy/install.sh) run into a fresh
virtual environment, and the runtime stage's environment, entry point and health check are
used as the image would use them. compose.yaml's commands then run as processes on local ports:
the MLflow server, the one-shot training job against it, and the service on the champion.

What this proves: the image's install recipe yields a working install from pyproject.toml, the
files the Dockerfile copies are enough to train and serve, and the compose wiring (server flags,
tracking URIs, artifacts through the server, health checks) works. What it cannot: the base
image, the non-root user and file modes, and name resolution between containers (the server's
Host check for the service name is exercised with an explicit Host header instead).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pandas as pd
import pytest
import yaml

from bench.servers import stop
from tests.deploy.dockerfile import Copy, Stage, ignore_patterns, ignored, stages
from tests.serving import free_port
from tests.waiting import eventually

pytestmark = pytest.mark.deploy

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


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """Every stage of the Dockerfile replayed: COPYs mirrored, deploy/install.sh run."""
    folder = tmp_path_factory.mktemp("image")
    # The base image's environment: only PATH matters, and it is this machine's.
    found = stages((ROOT / "Dockerfile").read_text(encoding="utf-8"), {"PATH": os.environ["PATH"]})
    patterns = ignore_patterns(ROOT / ".dockerignore")
    seconds: dict[str, float] = {}
    for stage in found.values():
        roots = {"/opt/venv": folder / "venv", "/app": folder / stage.name, "/data": folder}
        for copy in stage.copies:
            replay_copy(copy, Path(localise(str(copy.destination), roots)), patterns)
        for workdir, command in stage.runs:
            words = shlex.split(command)
            if words[: len(INSTALL)] != INSTALL:
                # Only the user account set-up may run outside the recipe script.
                assert words[0] == "useradd", f"RUN {command!r}: install steps go in install.sh"
                continue
            env = {**host_env(), **{k: localise(v, roots) for k, v in stage.env.items()}}
            env.pop("PIP_NO_CACHE_DIR", None)  # the cache changes how fast, not what is installed
            env["PYTHON"] = getattr(sys, "_base_executable", sys.executable)
            start = time.monotonic()
            done = subprocess.run(
                [localise(w, roots) for w in words],
                cwd=localise(str(workdir), roots),
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, (
                f"RUN {command}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
            seconds[words[len(INSTALL)]] = time.monotonic() - start
    assert set(seconds) == {"deps", "app"}, f"install steps run: {sorted(seconds)}"
    # The 2.9 GB environment is left to pytest's clean-up of old runs (it keeps the last three):
    # deleting it here costs 20-60 s on a busy machine.
    return Image(folder, found["runtime"], seconds)


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
class Stack:
    """The compose stack's MLflow server running locally, after the training job ran."""

    compose: dict[str, Any]
    mlflow_url: str
    mlflow_port: int
    mlflow_volume: Path
    train_data: Path
    train_result: dict[str, Any]


@pytest.fixture(scope="module")
def stack(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """compose.yaml's mlflow service started, and its train job run against it."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    folder = tmp_path_factory.mktemp("stack")
    mlflow, train = services["mlflow"], services["train"]
    assert port_of(mlflow) == MLFLOW_PORT
    port = free_port()
    (volume_mount,) = mlflow["volumes"]
    assert volume_mount.endswith(":/data"), volume_mount
    volume = folder / "mlflow-volume"
    roots = image.roots(volume)
    argv = [
        localise(w, roots).replace(f"={MLFLOW_PORT}", f"={port}").replace(":5000", f":{port}")
        for w in mlflow["entrypoint"] + mlflow["command"]
    ]
    argv = [w.replace("--host=0.0.0.0", "--host=127.0.0.1") for w in argv]
    env = image.environment(volume, mlflow.get("environment", {}))
    log = folder / "mlflow.log"
    with running(argv, env, volume, log):
        wait_healthy(health_command(mlflow, roots, port), env, log, timeout_s=120)
        url = f"http://127.0.0.1:{port}"
        data = folder / "train-data"
        train_env = {
            k: v.replace(f"http://mlflow:{MLFLOW_PORT}", url)
            for k, v in train.get("environment", {}).items()
        }
        command = [
            localise(interpolate(w, TRAIN_SIZE), image.roots(data))
            for w in train["entrypoint"] + train["command"]
        ]
        # The job removes its sample folder first: never let an image path reach this machine.
        assert not any(_IMAGE_PATH.search(w) for w in command), command
        data.mkdir()
        done = subprocess.run(
            command,
            cwd=data,
            env=image.environment(data, train_env),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        yield Stack(compose, url, port, volume, data, result)


def test_install_steps_are_timed(image: Image) -> None:
    """Both install steps ran (their durations are in the test's report)."""
    print(f"install times (s): {image.install_seconds}")  # shown with -rP
    assert (image.folder / "venv" / "bin" / "appraise").exists()


def test_mlflow_server_accepts_its_service_name_only(stack: Stack) -> None:
    """Containers call the server as mlflow:5000; MLflow 3 refuses unknown Host headers."""
    search = f"{stack.mlflow_url}/api/2.0/mlflow/experiments/search?max_results=5"
    trusted = httpx.get(search, headers={"Host": f"mlflow:{stack.mlflow_port}"}, timeout=10)
    assert trusted.status_code == 200, trusted.text
    foreign = httpx.get(search, headers={"Host": f"evil.example:{stack.mlflow_port}"}, timeout=10)
    assert foreign.status_code == 403, foreign.text


def test_train_job_registers_a_champion_through_the_server(stack: Stack) -> None:
    """The job trains, registers and promotes; artifacts land on the server's volume only."""
    assert stack.train_result["champion"] is True, stack.train_result
    assert stack.train_result["model_uri"].startswith("models:/appraiser/")
    assert (stack.mlflow_volume / "mlflow.db").is_file()
    assert any((stack.mlflow_volume / "mlartifacts").rglob("model.keras"))
    assert not (stack.train_data / "mlflow.db").exists()
    assert not (stack.train_data / "mlartifacts").exists()


def test_service_serves_the_champion(image: Image, stack: Stack, tmp_path: Path) -> None:
    """The image's entry point on compose's environment: healthy, ready, prices, stops cleanly."""
    service = stack.compose["services"]["service"]
    assert "command" not in service and "entrypoint" not in service, "runs the image's CMD"
    assert port_of(service) == SERVICE_PORT == int(image.runtime.env["APPRAISER_PORT"])
    port = free_port()
    data = tmp_path / "service-data"
    extra = {
        **{
            k: v.replace(f"http://mlflow:{MLFLOW_PORT}", stack.mlflow_url)
            for k, v in service.get("environment", {}).items()
        },
        "APPRAISER_HOST": "127.0.0.1",
        "APPRAISER_PORT": str(port),
    }
    env = image.environment(data, extra)
    roots = image.roots(data)
    argv = [localise(w, roots) for w in image.runtime.entrypoint + image.runtime.cmd]
    log = tmp_path / "service.log"
    with running(argv, env, data, log) as process:
        wait_healthy(health_command(service, roots, port), env, log, timeout_s=180)
        image_check = [localise(w, roots) for w in image.runtime.healthcheck]
        assert subprocess.run(image_check, env=env, check=False).returncode == 0
        url = f"http://127.0.0.1:{port}"
        model = httpx.get(f"{url}/v1/model", timeout=10).json()
        assert model["device"] == "/CPU:0", model
        assert model["version"] == stack.train_result["registered_version"], model
        answer = httpx.post(f"{url}/v1/predict", json=a_listing(stack.train_data), timeout=30)
        assert answer.status_code == 200, answer.text
        price = answer.json()
        assert price["price_range"]["low"] <= price["price"] <= price["price_range"]["high"]
        assert price["price"] > 0
        # What `docker stop` sends. uvicorn shuts down, then re-raises the signal (exit 143).
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) in (0, -signal.SIGTERM), log.read_text()[-3000:]
    assert "Application shutdown complete" in log.read_text(), "a graceful shutdown"
    version = stack.train_result["registered_version"]
    assert (
        f"serving appraiser v{version} (models:/appraiser/{version}) on /CPU:0" in log.read_text()
    )


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
