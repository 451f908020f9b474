"""`appraise score`: price every row of a file or dataset with a logged model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.inference.settings import power_of_two
from service.scoring.request import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_COMPARABLES,
    MAX_COMPARABLES,
    Engine,
)

if TYPE_CHECKING:
    from service.scoring.settings import ScoringSettings

score_app = typer.Typer()


def _batch_size(value: int | None) -> int | None:
    """The forward pass works on power-of-2 shapes; refuse anything else with the rule."""
    if value is None:
        return None
    try:
        return power_of_two(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@score_app.command("score")
def score(
    model_uri: Annotated[
        str, typer.Argument(help="MLflow model URI, e.g. models:/appraiser@champion.")
    ],
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="Dataset folder, or a CSV / Parquet file with the model's feature columns "
            "(photo paths relative to its folder).",
        ),
    ],
    output: Annotated[
        Path, typer.Argument(help="Output file: .parquet or .csv (chosen by the extension).")
    ],
    engine: Annotated[Engine, typer.Option(help="Score on this machine, or through Spark.")] = (
        Engine.LOCAL
    ),
    batch_size: Annotated[
        int | None,
        typer.Option(
            callback=_batch_size,
            help="Largest forward pass, a power of 2 (default: APPRAISER_MAX_BATCH_SIZE, 32).",
        ),
    ] = None,
    chunk_size: Annotated[
        int,
        typer.Option(min=1, max=1_000_000, help="Rows read, scored and saved per part."),
    ] = DEFAULT_CHUNK_SIZE,
    resume: Annotated[
        bool, typer.Option(help="Keep the parts an interrupted run of the same job finished.")
    ] = False,
    spark_master: Annotated[
        str, typer.Option(help="Spark master URL for --engine spark.")
    ] = "local[*]",
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON on stdout.")
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            help="Also explain each price: baseline_price, one contribution_<feature> per "
            "feature (log price) and comparable_ids."
        ),
    ] = False,
    comparables: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=MAX_COMPARABLES,
            help=f"Comparable listings per row with --explain (default {DEFAULT_COMPARABLES}).",
        ),
    ] = None,
) -> None:
    """Price every row of INPUT into OUTPUT: id (or row), price, price_low, price_high, error;
    with --explain, each price's explanation too."""
    from service.scoring.errors import ScoringError
    from service.scoring.job import run_job
    from service.scoring.request import ScoreRequest

    if comparables is not None and not explain:
        raise typer.BadParameter("needs --explain", param_hint="'--comparables'")
    settings = _settings()
    request = ScoreRequest(
        model_uri,
        input_path,
        output,
        engine,
        batch_size,
        chunk_size,
        resume,
        spark_master,
        progress,
        explain,
        DEFAULT_COMPARABLES if comparables is None else comparables,
    )
    try:
        summary = run_job(request, settings, say=lambda text: typer.echo(text, err=True))
    except ScoringError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {output}: {summary.line()}", err=True)
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))


def _settings() -> ScoringSettings:
    """Scoring settings from APPRAISER_* (store, threads, device); a bad one names its field."""
    from pydantic import ValidationError

    from service.inference.settings import settings_errors
    from service.scoring.settings import ScoringSettings

    try:
        return ScoringSettings()
    except ValidationError as exc:
        typer.echo("\n".join(settings_errors(exc)), err=True)
        raise typer.Exit(2) from None
