"""`appraise serve` starts quietly: no TensorFlow start-up lines, no MLflow download bars, unless
APPRAISER_LOG_LEVEL=debug asks for everything."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appraise import QUIET, quiet_console
from tests.service.conftest import NAME, Store

pytestmark = pytest.mark.service
# What TensorFlow (absl-formatted C++ lines) and MLflow print when nobody quiets them.
NOISE = re.compile(r"^[IWE]\d{4} |cuInit|oneDNN|cpu_feature_guard|Downloading artifacts", re.M)


def test_quiet_unless_debug_and_never_over_the_users_own_choice() -> None:
    environ: dict[str, str] = {"TF_CPP_MIN_LOG_LEVEL": "1"}
    quiet_console(environ)
    assert environ == {**QUIET, "TF_CPP_MIN_LOG_LEVEL": "1"}
    loud = {"APPRAISER_LOG_LEVEL": "DEBUG"}
    quiet_console(loud)
    assert loud == {"APPRAISER_LOG_LEVEL": "DEBUG"}


def _serve_output(store: Store, log_level: str, folder: Path) -> str:
    """What `appraise serve` prints until it serves the champion (then it is stopped)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in QUIET}
    env |= {"APPRAISER_TRACKING_URI": store.tracking_uri, "APPRAISER_LOG_LEVEL": log_level}
    command = [str(Path(sys.executable).with_name("appraise")), "serve", "--port", str(port),
               "--model", f"models:/{NAME}@champion"]  # fmt: skip
    log = folder / f"serve-{log_level}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 180
            while "now serving" not in log.read_text(errors="replace"):
                assert server.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(30)
    return log.read_text(errors="replace")


def test_serve_prints_no_library_noise_unless_debug(store: Store, tmp_path: Path) -> None:
    quiet = _serve_output(store, "info", tmp_path)
    assert NOISE.findall(quiet) == [], quiet
    assert "serving models:/" in quiet  # our own lines still there
    loud = _serve_output(store, "debug", tmp_path)
    assert NOISE.search(loud), loud
