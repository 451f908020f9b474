"""Where a server's CPU goes, by thread: CPU ms per request for the event loop, the photo
decoding pool, the forward pass and TensorFlow's own threads.

Thread names come from `py-spy dump` (Python threads) and /proc (native threads, e.g.
TensorFlow's `tf_Compute`); without py-spy only the native names are known.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from bench.cpu import TICKS

_DUMP = re.compile(r'Thread (\d+) \((?:active|idle)[^)]*\): "([^"]+)"')
_NUMBERED = re.compile(r"[_-]?\d+$")  # prepare_0, prepare_1 ... → prepare


def python_thread_names(pid: int) -> dict[str, str]:
    """OS thread id → Python thread name, from one `py-spy dump` (empty if py-spy is missing)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return {}
    done = subprocess.run([spy, "dump", "-p", str(pid)], capture_output=True, text=True)
    return {tid: _NUMBERED.sub("", name) for tid, name in _DUMP.findall(done.stdout)}


def thread_cpu(pid: int, names: dict[str, str]) -> dict[str, float]:
    """CPU seconds used so far by each named group of `pid`'s threads."""
    used: defaultdict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended while we looked
            continue
        name = names.get(task.name) or f"native {_NUMBERED.sub('', comm)}"
        used[name] += (int(fields[11]) + int(fields[12])) / TICKS
    return dict(used)


def per_request_ms(
    before: dict[str, float], after: dict[str, float], requests: int
) -> dict[str, float]:
    """CPU ms per request of each thread group between two readings, largest first."""
    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(requests, 1) for k in after}
    return dict(sorted(((k, v) for k, v in spent.items() if v > 0.005), key=lambda x: -x[1]))
