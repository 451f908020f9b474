"""Markdown reports of training runs, assembled into `docs/results.md` by `make results`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from training.compare import JOINT, LINEAR

if TYPE_CHECKING:
    from training.config import TrainConfig
    from training.pipeline import TrainResult


def headline(folder: Path, result: TrainResult) -> str:
    """One line: the joint model's test RMSLE beside the noise floor and the linear baseline."""
    joint = result.comparison.get(JOINT)
    rmsle = joint.metrics["rmsle"]
    judged = "test" if result.protocol == "holdout" else f"{result.protocol}, mean"
    parts = [f"joint model RMSLE {rmsle:.4f} ({judged})"]
    floor = noise_floor(folder)
    if floor is not None:
        parts.append(f"noise floor {floor:.4f} ({rmsle / floor:.2f}x)")
    linear = next((s for s in result.comparison.scores if s.name == LINEAR), None)
    if linear is not None:
        parts.append(f"linear baseline {linear.metrics['rmsle']:.4f}")
    if "coverage" in joint.metrics:
        parts.append(f"80% range covers {100 * joint.metrics['coverage']:.1f}%")
    return "; ".join(parts)


def noise_floor(folder: Path) -> float | None:
    """The generator's noise floor RMSLE of a synthetic dataset, None for other data."""
    info = folder / "dataset.json"
    if not info.is_file():
        return None
    return float(json.loads(info.read_text(encoding="utf-8"))["noise_floor_rmsle"])


def write_report(path: Path, folder: Path, config: TrainConfig, result: TrainResult) -> None:
    """One run's section: protocol, noise floor, the comparison (and every fold), the decision."""
    from training.pipeline import comparison_text

    lines = [f"### {folder.name}", "", f"**{headline(folder, result)}.**", ""]
    if result.folds:
        lines += [
            f"Judged by {result.protocol} ({len(result.folds)} test folds covering every row "
            "once); cells are the mean ± the standard deviation over folds, and the tables "
            "after the first list every fold.",
            "",
        ]
    lines += [comparison_text(result.comparison, result.folds), ""]
    joint = result.comparison.get(JOINT).metrics
    if "coverage_uncalibrated" in joint:
        lines += [
            "Range calibration (conformal, on held-out rows): the 80% range covered "
            f"{100 * joint['coverage_uncalibrated']:.1f}% of test prices before, mean width "
            f"{joint['range_width_uncalibrated']:.3f} of the price; "
            f"{100 * joint['coverage']:.1f}% after, width {joint['range_width']:.3f}.",
            "",
        ]
    if result.comparison.fusion_weights:
        weights = ", ".join(f"{k} {v:.2f}" for k, v in result.comparison.fusion_weights.items())
        lines += [f"Late-fusion weights fitted on validation: {weights}.", ""]
    ablations = config.ablation_epochs
    epochs = f"{config.epochs} ({ablations} for the ablations)" if ablations else config.epochs
    lines += [
        f"The registered model trained in {result.fit_seconds / 60:.1f} minutes; the whole run "
        f"(every contender, {'every fold, ' if result.folds else ''}logging) took "
        f"{result.seconds / 60:.1f}. Epochs at most {epochs}, batch "
        f"{config.batch_size}, seed {config.seed}; run `{result.run_id}`, registered version "
        f"{result.registered_version}; champion: {result.champion_reason}.",
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
