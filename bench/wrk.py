"""Measure an HTTP endpoint with wrk: a C client light enough not to starve the server.

Each run POSTs the request stream's bodies in order (bench/post.lua) over N connections, one
request in flight per connection, so N connections are N concurrent clients.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).with_name("post.lua")


@dataclass(frozen=True)
class HttpResult:
    """One wrk run: throughput, latency percentiles (ms) and anything that went wrong."""

    clients: int
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def row(self) -> dict[str, Any]:
        return {"rate": self.rate, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms}


def wrk_binary() -> str:
    """wrk's path; says how to install it when it is missing."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    return found


def run_wrk(
    url: str, bodies: Path, count: int, clients: int, seconds: float, cpus: str | None = None
) -> HttpResult:
    """POST the bodies in `bodies` to `url` from `clients` connections for `seconds`."""
    base, _, path = url.partition("://")[2].partition("/")
    command = [wrk_binary(), "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "60s"]
    command += ["-s", str(LUA), url.replace("/" + path, "")]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    env = {**os.environ, "WRK_BODIES": str(bodies), "WRK_COUNT": str(count), "WRK_PATH": "/" + path}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary for {base}: {done.stdout}{done.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = data["non_2xx"] + data["socket_errors"] + data["timeouts"]
    return HttpResult(
        clients,
        data["requests"] / data["seconds"],
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["requests"],
        errors,
    )
