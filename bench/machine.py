"""The machine a benchmark ran on, in one line: cores, CPU model, memory, load at the start."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def describe() -> str:
    """`2 cores (AMD EPYC), 23.4 GB, load average 0.52 at the start`."""
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {memory_gb():.1f} GB memory, "
        f"Python {platform.python_version()}, load average {load:.2f} at the start"
    )
