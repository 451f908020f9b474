"""A throwaway Spark standalone cluster on localhost: one master and one worker, started with
PySpark's own `spark-class` (its wheel has no `sbin/start-*.sh`), on free ports, logs in a folder.

The worker is small (1 core, 1 GB) and its executors run this interpreter with this checkout first
on their path, so they import the code under test, not another install of it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyspark

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
START_TIMEOUT = 120.0  # seconds for the master to answer and the worker to register


@dataclass(frozen=True)
class Cluster:
    """A running standalone cluster: its master URL, its daemons' logs and the worker's folder
    (one `app-*/<executor>/` per application, with the executor's stdout and stderr)."""

    master: str
    logs: Path
    work: Path


def free_port() -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def spark_class() -> Path:
    """`bin/spark-class` inside the installed pyspark package (it is its own SPARK_HOME)."""
    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def java_or_fail() -> str:
    """The Java runtime Spark will run on; a clear error (not a skip) when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None or not Path(java).is_file():
        raise RuntimeError(
            "the Spark cluster test needs a Java runtime (17 or later): none on PATH or in "
            "JAVA_HOME; install one (Debian: apt-get install openjdk-17-jre-headless)"
        )
    return java


def cluster_env(folder: Path) -> dict[str, str]:
    """The daemons' environment: small heaps, scratch and work folders under `folder`, and
    executors running this interpreter with this checkout importable."""
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_class().parents[1]),
        SPARK_LOCAL_IP=HOST,
        SPARK_LOCAL_DIRS=str(folder / "scratch"),
        SPARK_DAEMON_MEMORY="256m",
        PYSPARK_PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


@contextmanager
def standalone_cluster(folder: Path) -> Iterator[Cluster]:
    """Start a master and one worker, wait until the worker is registered, and always stop both
    (their whole process groups) on the way out."""
    java_or_fail()
    logs = folder / "logs"
    logs.mkdir(parents=True)
    (folder / "scratch").mkdir()
    env = cluster_env(folder)
    port, ui_port = free_port(), free_port()
    master = f"spark://{HOST}:{port}"
    master_args = ["--host", HOST, "--port", str(port), "--webui-port", str(ui_port)]
    worker_args = ["--host", HOST, "--cores", "1", "--memory", "1g"]
    worker_args += ["--webui-port", str(free_port()), "--work-dir", str(folder / "work")]
    with ExitStack() as stack:
        stack.enter_context(_daemon(MASTER, master_args, env, logs / "master.log"))
        stack.enter_context(_daemon(WORKER, [master, *worker_args], env, logs / "worker.log"))
        _wait_for_worker(f"http://{HOST}:{ui_port}/json/", logs)
        yield Cluster(master, logs, folder / "work")


@contextmanager
def _daemon(
    main_class: str, args: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """One `spark-class` process in its own process group, killed with that group at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(spark_class()), main_class, *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # spark-class execs java: the group holds the JVM
        )
    try:
        yield process
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group, then SIGKILL it if it has not gone in 20 s."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for_worker(url: str, logs: Path) -> None:
    """Poll the master's JSON status page until one worker is ALIVE; fail with the logs' tails."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status = json.load(response)
            if any(w.get("state") == "ALIVE" for w in status.get("workers", [])):
                return
        except (urllib.error.URLError, OSError, ValueError):
            pass  # the master is still starting
        time.sleep(1.0)
    tails = "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in logs.glob("*.log")
    )
    raise RuntimeError(f"no worker registered with the master in {START_TIMEOUT:.0f} s\n{tails}")
