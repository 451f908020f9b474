"""`appraise train` and `appraise evaluate`."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated

import typer

train_app = typer.Typer()


@train_app.command("train")
def train(
    folder: Annotated[Path, typer.Argument(help="Dataset folder to train on.")],
    config: Annotated[
        Path | None, typer.Option(help="YAML training config (default: configs/clothing.yaml).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(min=1, max=1000, help="Most epochs.")] = None,
    model_name: Annotated[str | None, typer.Option(help="Registered model name.")] = None,
    compare: Annotated[
        bool | None, typer.Option("--compare/--no-compare", help="Train ablations and baselines.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write a Markdown report of the run to this file.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No per-epoch progress output.")] = False,
    photo_store: Annotated[
        Path | None,
        typer.Option(
            help="Folder of decoded photos (appraise data prepare): reused when made from this "
            "data, written otherwise (default: a temporary one for the run)."
        ),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(help="auto, default, mirrored, or multi_worker (the workers in TF_CONFIG)."),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="auto (GPUs when seen, else the CPU) or gpu (stop if none is seen)."),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated features of the schema to train on, e.g. description (a "
            "text-only model); default every one."
        ),
    ] = None,
    backup_dir: Annotated[
        str | None,
        typer.Option(
            help="multi_worker: a folder every worker reads, where the chief backs up each epoch."
        ),
    ] = None,
) -> None:
    """Train the joint model, compare it, log it to MLflow and register it."""
    from training.cluster import ClusterError, cluster_task
    from training.config import ConfigError, TrainConfig
    from training.devices import DeviceError, require_devices

    try:
        cfg = TrainConfig.load(
            config,
            epochs=epochs,
            model_name=model_name,
            compare=compare,
            photo_store=photo_store,
            strategy=strategy,
            device=device,
            backup_dir=backup_dir,
            features=features and [name.strip() for name in features.split(",")],
        )
        if cfg.strategy == "multi_worker":
            cluster_task(os.environ)
        require_devices(cfg.device)
    except (ConfigError, ClusterError, DeviceError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    # Where a run stands (its devices, a worker's place in the cluster, a resumed backup).
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("training").setLevel(logging.INFO)
    from training.dataset import DatasetError
    from training.photo_store import StoreError
    from training.pipeline import comparison_text
    from training.pipeline import train as run_training
    from training.report import headline, write_report

    try:
        result = run_training(folder, cfg, verbose=0 if quiet else 2)
    except (DatasetError, StoreError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(comparison_text(result.comparison, result.folds), err=True)
    typer.echo(headline(folder, result), err=True)
    typer.echo(f"champion: {result.champion_reason}", err=True)
    if report and result.run_id:  # a worker other than the chief logged no run to report
        write_report(report, folder, cfg, result)
    typer.echo(json.dumps(result.summary()))


@train_app.command("evaluate")
def evaluate(
    model_uri: Annotated[
        str, typer.Argument(help="MLflow model URI, e.g. models:/appraiser@champion.")
    ],
    folder: Annotated[Path, typer.Argument(help="Dataset folder to score.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
) -> None:
    """Score every usable row of a dataset and print the metrics."""
    from mlflow.exceptions import MlflowException

    from training.dataset import DatasetError
    from training.evaluate import EvaluationError, evaluate_model

    try:
        metrics = evaluate_model(model_uri, folder)
    except (DatasetError, EvaluationError, MlflowException, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(metrics))
        return
    for key, value in metrics.items():
        typer.echo(f"{key:>12}: {value:.4f}")


@train_app.command("tiers")
def tiers(
    model_uri: Annotated[
        str, typer.Argument(help="MLflow model URI of a model trained on synthetic clothing.")
    ] = "models:/appraiser@champion",
) -> None:
    """Price one clothing listing under a brand of each tier: does the model read the brand?"""
    from mlflow.exceptions import MlflowException

    from training.tiers import report

    try:
        typer.echo(report(model_uri))
    except (MlflowException, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
