"""`make bench-score`: peak memory and rows/s of `appraise score` (local engine) at two sizes.

Memory must not grow with the row count: the scorer holds one chunk at a time. The inputs reuse
a few thousand distinct synthetic photos (generating 100,000 photo files would take minutes and
fill the disk with nothing new); every row still reads and decodes its photo.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SIZES = "10000,100000"
DISTINCT_ROWS = 2000
MODEL_NAME = "appraiser-score-bench"


@dataclass(frozen=True)
class Run:
    """One scoring run: its size, wall time, the command's own rows/s and the peak RSS."""

    rows: int
    wall_s: float
    rows_per_second: float
    peak_rss_mb: float
    errors: int


def appraise(*args: str, env: dict[str, str], cwd: Path) -> str:
    """Run `appraise ARGS` (this venv's) in `cwd`; stop on failure, showing its stderr."""
    exe = Path(sys.executable).with_name("appraise")
    done = subprocess.run(
        [str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"appraise {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def prepare(out: Path, env: dict[str, str]) -> tuple[Path, str]:
    """Synthetic data with 32 px photos and a small model trained on it (1 epoch, own store).

    Training runs in `out`, so its artifacts (`mlartifacts/`) land there, not in the checkout.
    """
    base = out / "base"
    if not (base / "listings.csv").is_file():
        appraise("data", "synth", str(base), "--rows", str(DISTINCT_ROWS), "--photo-size", "32",
                 "--seed", "5", env=env, cwd=out)  # fmt: skip
        appraise("train", str(base), "--epochs", "1", "--no-compare", "--quiet",
                 "--model-name", MODEL_NAME, env=env, cwd=out)  # fmt: skip
    return base, f"models:/{MODEL_NAME}@champion"


def repeated_input(base: Path, rows: int) -> Path:
    """`rows` listings cycling over the distinct ones (ids made unique, photos shared)."""
    target = base / f"score-{rows}.csv"
    with (base / "listings.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        distinct, columns = list(reader), [c for c in reader.fieldnames or [] if c != "price"]
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for i in range(rows):
            writer.writerow({**distinct[i % len(distinct)], "id": f"B{i:07d}"})
    return target


def score(model: str, source: Path, env: dict[str, str]) -> Run:
    """Score `source` in a child process; its peak RSS comes from wait4 (this child only)."""
    exe = Path(sys.executable).with_name("appraise")
    output = source.with_suffix(".scored.parquet")
    command = [str(exe), "score", model, str(source), str(output), "--json", "--no-progress"]
    started = time.monotonic()
    child = subprocess.Popen(
        command, env=env, cwd=source.parent, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert child.stdout is not None
    stdout = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"scoring {source} failed with exit code {child.returncode}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    wall = time.monotonic() - started
    rss_mb = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return Run(summary["rows"], wall, summary["rows_per_second"], rss_mb, summary["errors"])


def table(runs: list[Run]) -> str:
    lines = [
        "| rows | wall time (s) | rows/s (scoring) | peak RSS (MB) | row errors |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r.rows:,} | {r.wall_s:.1f} | {r.rows_per_second:,.0f} | {r.peak_rss_mb:,.0f} "
            f"| {r.errors} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="Folder for the data, model and outputs.")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="Comma-separated row counts.")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{out / 'mlflow.db'}"}
    base, model = prepare(out, env)
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [score(model, repeated_input(base, n), env) for n in sizes]
    report = table(runs)
    (out / "score-memory.md").write_text(report, encoding="utf-8")
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
