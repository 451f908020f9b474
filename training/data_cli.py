"""`appraise data ...`: check, generate and import datasets."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Engine(StrEnum):
    """Where `appraise data prepare` decodes the photos."""

    LOCAL = "local"
    SPARK = "spark"


class Language(StrEnum):
    """The language of `appraise data synth`'s descriptions (training.synth_text.LANGUAGES)."""

    EN = "en"
    KO = "ko"
    JA = "ja"


data_app = typer.Typer(help="Check, generate and import datasets.", no_args_is_help=True)
import_app = typer.Typer(help="Convert public datasets into our format.", no_args_is_help=True)
data_app.add_typer(import_app, name="import")


@data_app.command("check")
def check(
    folder: Annotated[Path, typer.Argument(help="Dataset folder (schema.yaml + listings).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Validate every row of a dataset; exit 1 when the dataset is unusable."""
    from training.dataset import DatasetError, read_dataset

    try:
        dataset = read_dataset(folder)
    except DatasetError as exc:
        if as_json:
            typer.echo(json.dumps({"usable_dataset": False, "error": str(exc)}))
        else:
            typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    report = dataset.report
    if as_json:
        typer.echo(json.dumps({"usable_dataset": True, **report.to_dict()}, indent=2))
        return
    for problem in report.problems:
        typer.echo(str(problem))
    typer.echo(report.summary())


@data_app.command("prepare")
def prepare(
    folder: Annotated[Path, typer.Argument(help="Dataset folder (schema.yaml + listings).")],
    out: Annotated[Path, typer.Argument(help="Folder to write the decoded photos into.")],
    config: Annotated[
        Path | None,
        typer.Option(help="Training config whose photo size to decode at (default: clothing)."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    engine: Annotated[
        Engine, typer.Option(help="local: this process; spark: one Spark task a shard.")
    ] = Engine.LOCAL,
    spark_master: Annotated[
        str, typer.Option(help="Spark master URL for --engine spark (local[*], spark://HOST:PORT).")
    ] = "local[*]",
) -> None:
    """Decode every photo once into a store that `appraise train --photo-store` reads (reused
    as it is when made from the same data); bad rows are reported as by `check`. With `--engine
    spark`, OUT must be a folder every executor can write (one machine, or shared storage)."""
    from training.config import ConfigError, TrainConfig
    from training.dataset import DatasetError, read_dataset
    from training.photo_store import StoreError, open_or_write
    from training.spark_store import spark_engine

    try:
        cfg = TrainConfig.load(config)
        dataset = read_dataset(folder)
        store = open_or_write(
            dataset,
            out.resolve(),
            cfg.model.photo.image_size,
            workers=cfg.decode_workers,
            progress=not quiet,
            engine=spark_engine(spark_master) if engine == Engine.SPARK else None,
        )
    except (ConfigError, DatasetError, StoreError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for problem in dataset.report.problems:
        typer.echo(str(problem), err=True)
    manifest = store.manifest
    typer.echo(
        f"{len(store)} rows ({dataset.report.bad_rows} bad rows left out) in "
        f"{len(manifest.shard_rows)} shard(s) of {manifest.photo_size} px photos in {out}"
    )
    store.close()


@data_app.command("synth")
def synth(
    folder: Annotated[Path, typer.Argument(help="New folder to write the dataset into.")],
    rows: Annotated[int, typer.Option(min=1, max=2_000_000, help="Listings to generate.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed; same seed, same bytes.")] = 0,
    photo_size: Annotated[
        int, typer.Option(min=16, max=1024, help="Photo width and height in pixels.")
    ] = 96,
    language: Annotated[
        Language,
        typer.Option(help="Language of the descriptions; prices and photos are the same in all."),
    ] = Language.EN,
) -> None:
    """Generate synthetic used-clothing listings with a known noise floor."""
    from training.synth import write_synthetic_dataset

    try:
        summary = write_synthetic_dataset(
            folder, rows=rows, seed=seed, photo_size=photo_size, language=language.value
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"wrote {summary.rows} listings ({summary.photos} photos) to {folder} in "
        f"{summary.seconds:.1f} s; noise floor RMSLE {summary.noise_floor_rmsle:.3f}"
    )


@import_app.command("houses")
def import_houses(
    source: Annotated[Path, typer.Argument(help="Folder holding HousesInfo.txt, or its parent.")],
    folder: Annotated[Path, typer.Argument(help="New folder to write the dataset into.")],
    min_zipcode_houses: Annotated[
        int, typer.Option(min=0, help="Drop zipcodes with fewer houses (published protocol: 25).")
    ] = 0,
) -> None:
    """Convert the Houses dataset (Ahmed & Moustafa, 2016) into our dataset format."""
    from training.houses import HousesImportError
    from training.houses import import_houses as run_import

    try:
        result = run_import(source, folder, min_zipcode_houses)
    except HousesImportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for line in [*result.skipped, *result.notes]:
        typer.echo(line, err=True)
    skipped = f" ({len(result.skipped)} lines skipped)" if result.skipped else ""
    typer.echo(f"imported {result.houses} houses into {folder}{skipped}")
