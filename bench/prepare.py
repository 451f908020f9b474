"""A fresh small model and the photo sets to load it with, all under one output folder.

Everything goes through the `appraise` command, as a user would run it: a synthetic training set
with 96 px photos, two small sets with 320 px and 800 px photos (real generated photos of larger
sizes for the request stream), and a few epochs of training into an MLflow store in the folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

MODEL_NAME = "appraiser-bench"
# (folder, photo side, rows, share of the requests): mostly thumbnails, some large uploads.
PHOTO_SETS = (("data", 96, None, 70), ("photos-320", 320, 60, 20), ("photos-800", 800, 30, 10))


@dataclass(frozen=True)
class Prepared:
    """Where the model and the request data are: what every benchmark step reads."""

    tracking_uri: str
    model_uri: str
    data: str  # DIR:WEIGHT,... for bench.pool.parse_sources
    train_folder: str

    @classmethod
    def read(cls, out: Path) -> Prepared:
        return cls(**json.loads((out / "model.json").read_text()))


def appraise(*args: str, cwd: Path) -> str:
    """Run one `appraise` command of this venv; its standard output."""
    exe = Path(sys.executable).with_name("appraise")
    done = subprocess.run([str(exe), *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def prepare(out: Path, rows: int, epochs: int, seed: int) -> Prepared:
    """Synthesise the datasets, train, and record where everything is in `out/model.json`."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    parts = []
    for index, (name, side, count, weight) in enumerate(PHOTO_SETS):
        n = str(count or rows)
        appraise("data", "synth", name, "--rows", n, "--seed", str(seed + index),
                 "--photo-size", str(side), cwd=out)  # fmt: skip
        parts.append(f"{out / name}:{weight}")
    # cwd=out: a local store puts mlflow.db and mlartifacts/ in the working directory.
    summary = appraise("train", "data", "--epochs", str(epochs), "--no-compare",
                       "--model-name", MODEL_NAME, "--quiet", cwd=out)  # fmt: skip
    version = json.loads(summary.strip().splitlines()[-1])["registered_version"]
    prepared = Prepared(
        tracking_uri=f"sqlite:///{out / 'mlflow.db'}",
        model_uri=f"models:/{MODEL_NAME}/{version}",
        data=",".join(parts),
        train_folder=str(out / "data"),
    )
    (out / "model.json").write_text(json.dumps(asdict(prepared), indent=2) + "\n")
    return prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Output folder (created; reused if it exists).")
    parser.add_argument("--rows", type=int, default=1000, help="Training listings.")
    parser.add_argument("--epochs", type=int, default=3, help="Training epochs.")
    parser.add_argument("--seed", type=int, default=3, help="Dataset seed.")
    args = parser.parse_args()
    prepared = prepare(args.out, args.rows, args.epochs, args.seed)
    sys.stderr.write(f"trained {prepared.model_uri} in {prepared.tracking_uri}\n")


if __name__ == "__main__":
    main()
