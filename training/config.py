"""The training configuration, loaded from YAML and validated before any work starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.config import ModelConfig

StrategyName = Literal["auto", "default", "mirrored", "multi_worker"]
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "clothing.yaml"


class ConfigError(ValueError):
    """The config file is unreadable or holds an invalid value; the message names the field."""


class TrainConfig(BaseModel):
    """Everything one training run needs besides the data."""

    model_config = ConfigDict(extra="forbid")

    model: ModelConfig = Field(default_factory=ModelConfig, description="Model architecture.")
    seed: int = Field(default=42, ge=0, description="Seed for splits, weights and shuffling.")
    test_fraction: float = Field(default=0.15, gt=0, lt=0.5, description="Share held for test.")
    val_fraction: float = Field(
        default=0.075, gt=0, lt=0.5, description="Share for validation (early stopping)."
    )
    calibration_fraction: float = Field(
        default=0.075,
        gt=0,
        lt=0.5,
        description="Share held out from training and early stopping to calibrate the price "
        "range (conformal). Cross-validated runs calibrate on their folds' test rows instead.",
    )
    cv_below_rows: int = Field(
        default=2000,
        ge=0,
        description="Datasets with fewer usable rows are judged by k-fold cross-validation "
        "instead of one split, and the registered model is fitted on all of them (0: never).",
    )
    cv_folds: int = Field(default=5, ge=2, le=20, description="Folds of the cross-validation.")
    epochs: int = Field(default=30, ge=1, le=1000, description="Most epochs to train.")
    batch_size: int = Field(
        default=64,
        ge=1,
        le=4096,
        description="Examples per step on each replica: N replicas step on N times as many.",
    )
    learning_rate: float = Field(
        default=2e-3,
        gt=0,
        le=1,
        description="Starting learning rate, used as given whatever the number of replicas "
        "(not scaled with the global batch; README: Several replicas).",
    )
    weight_decay: float = Field(
        default=1e-4,
        ge=0,
        description="AdamW's decoupled decay: each step shrinks kernels and embeddings by "
        "learning rate times this (biases and normalisation parameters are spared).",
    )
    patience: int = Field(default=5, ge=1, description="Epochs without improvement to stop.")
    ablation_epochs: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Most epochs for the single-branch ablations, their schedule fitted to it "
        "(None: `epochs`). They train beside the joint model and share its cores, so on a big "
        "dataset this sets the whole run's time more than their accuracy does.",
    )
    lr_schedule: Literal["cosine", "plateau"] = Field(
        default="cosine",
        description="cosine: decay to zero over `epochs`; plateau: halve after `lr_patience` "
        "epochs without improvement.",
    )
    ema_momentum: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Keep an exponential moving average of the weights with this momentum, "
        "validate and stop early on it, and end with it (None: plain weights).",
    )
    lr_patience: int = Field(default=2, ge=1, description="Epochs without improvement to halve LR.")
    compare: bool = Field(
        default=True, description="Train single-branch ablations and baselines for comparison."
    )
    model_name: str = Field(
        default="appraiser", pattern=r"^[A-Za-z0-9_.-]{1,100}$", description="Registry name."
    )
    experiment: str = Field(default="appraiser", description="MLflow experiment name.")
    decode_workers: int = Field(default=4, ge=1, le=64, description="Photo decoding threads.")
    photo_store: Path | None = Field(
        default=None,
        description="Folder of the decoded photos (`appraise data prepare`): reused when made "
        "from the same data, written otherwise; None: a temporary folder for the run.",
    )
    strategy: StrategyName = Field(
        default="auto",
        description="auto: mirror over all GPUs when there are several, else the default; "
        "default: one device; mirrored: mirror over the GPUs (or the CPU's logical devices); "
        "multi_worker: synchronous training over the workers the TF_CONFIG variable lists, "
        "the same command on each. `batch_size` is per replica.",
    )
    backup_dir: str | None = Field(
        default=None,
        min_length=1,
        description="multi_worker only, and required there: the folder (or gs:// URL) where "
        "the chief backs up the training state after each epoch and every worker restores it "
        "from, so a job whose worker was killed resumes from its last epoch when restarted. "
        "Every worker must read the same folder (a shared volume, or object storage).",
    )
    features: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Train on these features of the dataset's schema only (default: every "
        "one), e.g. [description] for a text-only model; the rest of the listing is ignored.",
    )
    mixed_precision: bool = Field(
        default=False, description="Compute in float16 on GPUs (variables stay float32)."
    )
    device: Literal["auto", "gpu"] = Field(
        default="auto",
        description="auto: the GPUs TensorFlow sees, else the CPU; gpu: stop at start when "
        "TensorFlow sees no GPU (a GPU image that lost its GPU would otherwise train on the "
        "CPU, many times slower).",
    )

    @model_validator(mode="after")
    def _backup_for_multi_worker(self) -> TrainConfig:
        if self.strategy == "multi_worker" and self.backup_dir is None:
            raise ValueError(
                "backup_dir: required with strategy multi_worker (a folder every worker reads, "
                "where the chief backs up each epoch so that a restarted job resumes)"
            )
        return self

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> TrainConfig:
        """Read a YAML config (the clothing default when `path` is None) and apply overrides."""
        path = path or DEFAULT_CONFIG
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"config {path}: cannot be read: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"config {path}: must be a mapping of settings")
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            fields = "; ".join(_describe(e) for e in exc.errors())
            raise ConfigError(f"config {path}: {fields}") from exc

    def flat_params(self) -> dict[str, str]:
        """The config as flat `a.b.c` keys, for MLflow params."""
        flat: dict[str, str] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    walk(f"{prefix}.{key}" if prefix else key, inner)
            else:
                flat[prefix] = str(value)

        walk("", self.model_dump(mode="json"))
        return flat


def _describe(error: Any) -> str:
    """`field: message`; a check across fields names its fields in its own message."""
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
