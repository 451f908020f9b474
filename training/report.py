"""Markdown reports of training runs, assembled into `docs/results.md` by `make results`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.config import TrainConfig
    from training.pipeline import TrainResult


def write_report(path: Path, folder: Path, config: TrainConfig, result: TrainResult) -> None:
    """One run's section: data, noise floor, the comparison table and the champion decision."""
    lines = [f"### {folder.name}", ""]
    info = folder / "dataset.json"
    if info.is_file():
        meta = json.loads(info.read_text(encoding="utf-8"))
        floor = float(meta["noise_floor_rmsle"])
        joint = result.metrics["rmsle"]
        lines += [
            f"Noise floor RMSLE (generator): **{floor:.4f}**; joint model test RMSLE "
            f"**{joint:.4f}** = **{joint / floor:.3f}x** the floor.",
            "",
        ]
    lines += [result.comparison.table(), ""]
    if result.comparison.fusion_weights:
        weights = ", ".join(f"{k} {v:.2f}" for k, v in result.comparison.fusion_weights.items())
        lines += [f"Late-fusion weights fitted on validation: {weights}.", ""]
    beside = any(s.kind == "ablation" for s in result.comparison.scores)
    lines += [
        f"The joint model trained in {result.fit_seconds / 60:.1f} minutes"
        f"{', the ablations training beside it' if beside else ''}; the whole run "
        f"(joint model, ablations, baselines, logging) took {result.seconds / 60:.1f}. "
        f"Epochs at most {config.epochs}, batch {config.batch_size}, seed {config.seed}; "
        f"run `{result.run_id}`, registered version {result.registered_version}; "
        f"champion: {result.champion_reason}.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def combine(header: Path, sections: list[Path]) -> str:
    """The header page followed by every run's section."""
    parts = [header.read_text(encoding="utf-8")]
    parts += [s.read_text(encoding="utf-8") for s in sections]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(combine(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]))
