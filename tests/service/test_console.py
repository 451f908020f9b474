"""`appraise serve` starts quietly: no TensorFlow start-up lines, no MLflow download bars, unless
APPRAISER_LOG_LEVEL=debug asks for everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from appraise import QUIET, quiet_console
from tests.service.conftest import NAME, Store
from tests.serving import free_port
from tests.waiting import eventually

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
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in QUIET}
    env |= {"APPRAISER_TRACKING_URI": store.tracking_uri, "APPRAISER_LOG_LEVEL": log_level}
    command = [str(Path(sys.executable).with_name("appraise")), "serve", "--port", str(port),
               "--model", f"models:/{NAME}@champion"]  # fmt: skip
    log = folder / f"serve-{log_level}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=out)
        try:
            eventually(lambda: "now serving" in _text(log) or server.poll() is not None, 180,
                       0.2, partial(_text, log))  # fmt: skip
            assert server.poll() is None, _text(log)
        finally:
            server.send_signal(signal.SIGINT)  # Ctrl-C: stops without the drain grace
            server.wait(30)
    return _text(log)


def _text(log: Path) -> str:
    return log.read_text(errors="replace")


def test_serve_prints_no_library_noise_unless_debug(store: Store, tmp_path: Path) -> None:
    quiet = _serve_output(store, "info", tmp_path)
    assert NOISE.findall(quiet) == [], quiet
    assert "serving models:/" in quiet  # our own lines still there
    loud = _serve_output(store, "debug", tmp_path)
    assert NOISE.search(loud), loud
