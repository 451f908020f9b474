"""The deploy tests' fixtures: the image and the compose stack, built once for the package."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.dockerfile import ignore_patterns, stages
from tests.deploy.stack import (
    _IMAGE_PATH,
    INSTALL,
    MLFLOW_PORT,
    ROOT,
    TRAIN_SIZE,
    Image,
    MlflowServer,
    Stack,
    health_command,
    host_env,
    interpolate,
    localise,
    port_of,
    replay_copy,
)
from tests.postgres import Postgres
from tests.serving import free_port


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def stack(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """compose.yaml's postgres and mlflow services started, and its train job run against them."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    folder = tmp_path_factory.mktemp("stack")
    database = _database(services["postgres"])
    try:
        mlflow = _mlflow(image, services["mlflow"], database, folder / "mlflow-volume")
        try:
            url = f"http://127.0.0.1:{mlflow.port}"
            data, result = _train(image, services["train"], url, folder / "train-data")
            yield Stack(compose, url, mlflow.port, mlflow.cwd, data, result, database, mlflow)
        finally:
            mlflow.stop()
    finally:
        database.remove()


def _database(service: dict[str, Any]) -> Postgres:
    """compose's postgres service: the same user, password and database, on a free port."""
    env = {k: interpolate(str(v), {}) for k, v in service["environment"].items()}
    database = Postgres(free_port(), env["POSTGRES_USER"], env["POSTGRES_PASSWORD"],
                        env["POSTGRES_DB"])  # fmt: skip
    database.create()
    return database


def _mlflow(
    image: Image, service: dict[str, Any], database: Postgres, volume: Path
) -> MlflowServer:
    """compose's mlflow service on a free port, its backend store the local PostgreSQL; started."""
    assert port_of(service) == MLFLOW_PORT
    port = free_port()
    (volume_mount,) = service["volumes"]
    assert volume_mount.endswith(":/data"), volume_mount
    roots = image.roots(volume)
    argv = [
        localise(interpolate(w, {}), roots)
        .replace(f"={MLFLOW_PORT}", f"={port}")
        .replace(":5000", f":{port}")
        .replace("@postgres:5432/", f"@127.0.0.1:{database.port}/")
        .replace("--host=0.0.0.0", "--host=127.0.0.1")
        for w in service["entrypoint"] + service["command"]
    ]
    store = database.url.replace("postgresql://", "postgresql+psycopg://")
    assert f"--backend-store-uri={store}" in argv, argv
    env = image.environment(volume, service.get("environment", {}))
    server = MlflowServer(argv, env, volume, health_command(service, roots, port), port)
    server.start()
    return server


def _train(image: Image, service: dict[str, Any], url: str, data: Path) -> tuple[Path, Any]:
    """compose's one-shot train job against the server at `url`: its folder and final JSON line."""
    train_env = {
        k: v.replace(f"http://mlflow:{MLFLOW_PORT}", url)
        for k, v in service.get("environment", {}).items()
    }
    command = [
        localise(interpolate(w, TRAIN_SIZE), image.roots(data))
        for w in service["entrypoint"] + service["command"]
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
    return data, json.loads(done.stdout.strip().splitlines()[-1])
