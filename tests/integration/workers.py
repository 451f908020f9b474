"""A multi-worker cluster on localhost: one process per task, each with its own TF_CONFIG.

A task that fails is started again with the same TF_CONFIG, as a Kubernetes Job's pod with
`restartPolicy: OnFailure` would be, up to `restarts` times. Each attempt's output goes to its own
files, so a test can read what the attempt that finished printed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def tf_config(ports: list[int], index: int) -> str:
    """TF_CONFIG of worker `index` in a cluster of workers on `ports` (worker 0 is the chief)."""
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


@dataclass
class Task:
    """One worker: its command, environment and attempts (the last one is `process`)."""

    index: int
    command: list[str]
    env: dict[str, str]
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)  # exit codes of finished attempts

    @property
    def last(self) -> int:
        """The number of the latest attempt (from 0)."""
        return len(self.exits) - (self.process is None)

    @property
    def tmp(self) -> Path:
        """The worker's own TMPDIR, so a test sees what it leaves there."""
        return Path(self.env["TMPDIR"])

    def start(self) -> None:
        name = self.folder / f"worker{self.index}-{len(self.exits)}"
        with name.with_suffix(".out").open("wb") as out, name.with_suffix(".err").open("wb") as err:
            self.process = subprocess.Popen(
                self.command, cwd=self.folder, env=self.env, stdout=out, stderr=err
            )

    def stdout(self, attempt: int | None = None) -> str:
        return self._read(".out", attempt)

    def stderr(self, attempt: int | None = None) -> str:
        return self._read(".err", attempt)

    def _read(self, suffix: str, attempt: int | None) -> str:
        number = self.last if attempt is None else attempt
        return (self.folder / f"worker{self.index}-{number}{suffix}").read_text(errors="replace")


class Cluster:
    """Runs `command(index)` as each worker until all exit 0, restarting failed ones."""

    def __init__(
        self,
        command: Callable[[int], list[str]],
        env: dict[str, str],
        folder: Path,
        workers: int = 2,
        restarts: int = 0,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ports = free_ports(workers)
        self.restarts = restarts
        self.tasks = []
        for i in range(workers):
            tmp = folder / f"tmp-worker{i}"
            tmp.mkdir(exist_ok=True)
            own = {"TF_CONFIG": tf_config(ports, i), "TMPDIR": str(tmp)}
            self.tasks.append(Task(i, command(i), {**env, **own}, folder))

    def run(self, timeout: float, tick: Callable[[Cluster], None] | None = None) -> None:
        """Start every worker and wait for all to succeed; AssertionError with their output
        when one fails more than `restarts` times or the time runs out."""
        for task in self.tasks:
            task.start()
        deadline = time.monotonic() + timeout
        try:
            while not self._finished():
                if time.monotonic() > deadline:
                    raise AssertionError(f"cluster still running after {timeout} s\n{self.logs()}")
                if tick is not None:
                    tick(self)
                time.sleep(0.2)
        finally:
            self.stop()

    def exits(self, timeout: float) -> list[int]:
        """Start every worker once and wait for all to exit, however they do; their codes."""
        for task in self.tasks:
            task.start()
        try:
            for task in self.tasks:
                assert task.process is not None
                task.exits.append(task.process.wait(timeout=timeout))
                task.process = None
        finally:
            self.stop()
        return [task.exits[-1] for task in self.tasks]

    def kill(self, index: int) -> None:
        """SIGKILL worker `index` (it is restarted like any failed worker)."""
        process = self.tasks[index].process
        assert process is not None
        process.send_signal(signal.SIGKILL)

    def _finished(self) -> bool:
        done = True
        for task in self.tasks:
            if task.process is None:
                continue
            code = task.process.poll()
            if code is None:
                done = False
                continue
            task.exits.append(code)
            task.process = None
            if code != 0:
                if len(task.exits) > self.restarts:
                    raise AssertionError(f"worker {task.index} failed ({code})\n{self.logs()}")
                task.start()
                done = False
        return done

    def stop(self) -> None:
        for task in self.tasks:
            if task.process is not None and task.process.poll() is None:
                task.process.kill()
                task.process.wait()

    def logs(self) -> str:
        parts = []
        for task in self.tasks:
            for attempt in range(task.last + 1):
                err = task.stderr(attempt)[-2500:]
                parts.append(f"--- worker {task.index}, attempt {attempt}:\n{err}")
        return "\n".join(parts)


def worker_env(**extra: str) -> dict[str, str]:
    """The test's environment for a worker: this checkout first on the path, TF's chatter off."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", **extra}
