"""Start an HTTP server for a benchmark, wait until it answers, and always stop it.

Each server runs in its own session (process group), so stopping it also stops the workers it
started (mlflow serve runs uvicorn as a child); nothing else on the machine is touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 180.0


def appraise_serve(model_uri: str, port: int) -> list[str]:
    """This service."""
    return [str(BIN / "appraise"), "serve", "--model", model_uri, "--port", str(port)]


def mlflow_serve(model_uri: str, port: int) -> list[str]:
    """MLflow's own server of the same logged model, in this environment (no new venv)."""
    return [str(BIN / "mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local",
            "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip


def tutorial_serve(port: int) -> list[str]:
    """The tutorial app (bench/tutorial_app.py) under uvicorn."""
    return [str(BIN / "python"), "-m", "uvicorn", "bench.tutorial_app:app",
            "--port", str(port), "--log-level", "warning"]  # fmt: skip


@contextmanager
def running(
    command: Sequence[str],
    ready_url: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    cpus: str | None = None,
) -> Iterator[int]:
    """Run `command` (pinned to `cpus` when given) until the block ends; yields its pid."""
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    # The venv's bin first on PATH: mlflow serve starts `uvicorn` by name.
    full_env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(command), env=full_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        try:
            wait_ready(proc, ready_url, log)
            yield proc.pid
        finally:
            stop(proc)


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll `url` until it answers 200; fail early if the server died."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {READY_TIMEOUT_S:.0f} s; see {log}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT the server's process group (Ctrl-C: no drain grace, nothing routes to it), then
    SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
