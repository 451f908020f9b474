"""CPU time of a process session (a server and every worker it started), read from /proc.

Used to say how much of the machine's cores the server and the load generator each used.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def session_cpu_seconds(session: int) -> float:
    """User + system CPU seconds of the live processes in `session` (their own and reaped
    children's)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        # After the ")" : state is field 3, session 6, utime..cstime 14-17 (1-based).
        if int(fields[3]) == session:
            total += sum(int(x) for x in fields[11:15])
    return total / TICKS
