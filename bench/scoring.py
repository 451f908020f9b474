"""Batch scoring through its own command, `appraise score` (issue 5), on the training rows.

The input is the training set's rows repeated (fresh ids, same photo paths), so the run lasts
long enough to time; the command times itself from after the model is loaded.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPEAT = 16  # 16,000 rows: four chunks of `appraise score`, so its steady state is measured


@dataclass(frozen=True)
class ScoringRate:
    """What `appraise score` reported, or why there is no figure."""

    rows_per_second: float | None
    rows: int
    note: str = ""


def scoring_input(folder: Path, repeat: int = REPEAT) -> Path:
    """A CSV beside the dataset's photos holding its listings `repeat` times, ids made unique."""
    with (folder / "listings.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows, columns = list(reader), list(reader.fieldnames or [])
    target = folder / f"score-{repeat}x.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        for copy in range(repeat):
            writer.writerows({**row, "id": f"{row['id']}-{copy}"} for row in rows)
    return target


def score_command_exists() -> bool:
    """Whether this checkout has `appraise score` yet."""
    exe = Path(sys.executable).with_name("appraise")
    done = subprocess.run([str(exe), "score", "--help"], capture_output=True, check=False)
    return done.returncode == 0


def run_scoring(
    model_uri: str, tracking_uri: str, source: Path, out: Path, batch: int
) -> ScoringRate:
    """Score `source` into `out` with the command; its own rows/s (model loading excluded)."""
    if not score_command_exists():
        return ScoringRate(None, 0, "`appraise score` does not exist in this checkout")
    exe = Path(sys.executable).with_name("appraise")
    command = [str(exe), "score", model_uri, str(source), str(out), "--batch-size", str(batch),
               "--json", "--no-progress"]  # fmt: skip
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return ScoringRate(None, 0, f"`appraise score` failed: {done.stderr.strip()[-300:]}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return ScoringRate(float(summary["rows_per_second"]), int(summary["rows"]))
