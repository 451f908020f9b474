"""`make bench-train-scale`: what training costs as the dataset grows (issue 23).

For each size: synthetic listings (seed 7, 96 px photos, generated once into the output folder),
the photo store written by `appraise data prepare` (time and disk), then `appraise train` on one
epoch without the comparison (`--no-compare`, as the memory figures of issue 23 were taken) reading
that store, in an MLflow store of its own (so no run re-scores another size's champion): peak RSS
(the child's, from wait4), wall time, and examples per second of the fit (training rows over the
run's fit seconds, building the model included).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SIZES = "50000,200000"
MODEL_NAME = "appraiser-scale-bench"


@dataclass(frozen=True)
class Run:
    """One size: preparing its store, then training on it."""

    rows: int
    prepare_s: float
    store_mb: float
    train_wall_s: float
    examples_per_s: float
    peak_rss_mb: float


def child(args: list[str], env: dict[str, str], cwd: Path) -> tuple[str, float, float]:
    """Run `appraise ARGS`; its stdout, wall seconds and peak RSS in MB (this child's, from
    wait4). Stops on failure, showing the end of its stderr (kept in `cwd`)."""
    exe = Path(sys.executable).with_name("appraise")
    log = cwd / f"{'-'.join(Path(a).name for a in args[:2])}.stderr"
    started = time.monotonic()
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [str(exe), *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=errors
        )
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        tail = log.read_text(errors="replace")[-2000:]
        sys.exit(f"appraise {' '.join(args)} failed:\n{tail}")
    return stdout, wall, usage.ru_maxrss / 1024  # Linux reports kilobytes


def measure(rows: int, out: Path, epochs: int, env: dict[str, str]) -> Run:
    """Synthesise `rows` listings (once), prepare their store, train on it."""
    from training.config import TrainConfig
    from training.prepare import split_indices

    data, store = out / f"data-{rows}", out / f"store-{rows}"
    if not (data / "listings.csv").is_file():
        child(["data", "synth", str(data), "--rows", str(rows), "--seed", "7"], env, out)
    shutil.rmtree(store, ignore_errors=True)  # timed from nothing, not reused
    _, prepare_s, _ = child(["data", "prepare", str(data), str(store), "--quiet"], env, out)
    size = sum(f.stat().st_size for f in store.iterdir()) / 2**20
    command = ["train", str(data), "--epochs", str(epochs), "--no-compare", "--quiet"]
    command += ["--photo-store", str(store), "--model-name", MODEL_NAME]
    # a store of its own: each size registers a first version, none re-scores another's champion
    database = out / f"mlflow-{rows}.db"
    database.unlink(missing_ok=True)
    tracking = {"MLFLOW_TRACKING_URI": f"sqlite:///{database}"}
    stdout, wall, rss = child(command, {**env, **tracking}, out)
    summary = json.loads(stdout.strip().splitlines()[-1])
    train_rows = len(split_indices(rows, TrainConfig.load())[0])
    return Run(rows, prepare_s, size, wall, train_rows * epochs / summary["fit_seconds"], rss)


def table(runs: list[Run]) -> str:
    lines = [
        "| rows | prepare (s) | store (MB) | train wall (s) | examples/s (fit) | peak RSS (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r.rows:,} | {r.prepare_s:.0f} | {r.store_mb:,.0f} | {r.train_wall_s:.0f} "
            f"| {r.examples_per_s:,.0f} | {r.peak_rss_mb:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="Folder for the data, stores, model and report.")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="Comma-separated row counts.")
    parser.add_argument("--epochs", type=int, default=1, help="Epochs of each training run.")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    runs = [measure(int(n), out, args.epochs, env) for n in args.sizes.split(",")]
    report = table(runs)
    (out / "train-scale.md").write_text(report, encoding="utf-8")
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
