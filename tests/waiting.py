"""Waiting for a condition in tests: poll it, never sleep a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(
    check: Callable[[], bool],
    timeout_s: float = 10.0,
    every_s: float = 0.02,
    describe: Callable[[], str] | None = None,
) -> None:
    """Return once `check()` is true; fail after `timeout_s`, with `describe()` (say, a log)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every_s)
    detail = f":\n{describe()}" if describe else ""
    raise AssertionError(f"condition not met in {timeout_s} s{detail}")
