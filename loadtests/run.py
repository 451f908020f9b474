"""`make loadtest`: serve the prepared model, run locust headless against it, summarise, and
always stop the service. Exits non-zero when any request got an unexpected answer.

    python -m bench.prepare OUT && python -m loadtests.run OUT --users 32 --duration 60s
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench import servers
from bench.prepare import Prepared
from loadtests.summary import read_summary

ROOT = Path(__file__).resolve().parent.parent
PORT = 8720


def locust_command(args: argparse.Namespace, prepared: Prepared, host: str) -> list[str]:
    out: Path = args.out
    return [
        str(servers.BIN / "locust"), "-f", str(ROOT / "loadtests" / "locustfile.py"),
        "--headless", "--only-summary", "--host", host,
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.duration,
        "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
        "--data", prepared.data, "--mix", args.mix,
        "--summary-file", str(out / "summary.json"),
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """The locust exit code, or 1 when its statistics hold a failure."""
    args.out = args.out.resolve()
    prepared = Prepared.read(args.out)
    host = f"http://127.0.0.1:{PORT}"
    env = {
        "APPRAISER_TRACKING_URI": prepared.tracking_uri,
        "APPRAISER_RELOAD_INTERVAL_S": "0",
        "APPRAISER_LOG_LEVEL": "warning",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }
    command = servers.appraise_serve(prepared.model_uri, PORT)
    log = args.out / "logs" / "loadtest-service.log"
    with servers.running(command, f"{host}/readyz", log, env):
        locust_env = {**os.environ, "PYTHONPATH": str(ROOT)}
        code = subprocess.run(locust_command(args, prepared, host), env=locust_env).returncode
    totals = args.out / "summary.json"
    if not totals.is_file():
        sys.stdout.write(f"locust wrote no totals (exit code {code})\n")
        return code or 1
    summary = read_summary(totals)
    sys.stdout.write(summary.text() + "\n")
    sys.stdout.write(f"reports: {args.out / 'locust.html'}, {args.out}/locust_*.csv\n")
    return code or (1 if summary.failures else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Folder prepared by `python -m bench.prepare`.")
    parser.add_argument("--users", type=int, default=32, help="Concurrent locust users.")
    parser.add_argument("--spawn-rate", type=float, default=8, help="Users started per second.")
    parser.add_argument("--duration", default="60s", help="Run time, e.g. 60s or 5m.")
    parser.add_argument("--mix", default=os.environ.get("LOADTEST_MIX", ""), help="kind:weight,...")
    args = parser.parse_args()
    if not args.mix:
        from loadtests.traffic import DEFAULT_MIX

        args.mix = DEFAULT_MIX
    sys.exit(run(args))


if __name__ == "__main__":
    main()
