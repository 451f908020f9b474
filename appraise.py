"""The `appraise` command: one entry point whose sub-commands live beside the code they run.

Sub-command modules import their heavy dependencies (TensorFlow, MLflow) inside the commands, so
`appraise --help` is quick and `appraise serve` never loads the training stack.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

import typer

from service.api.cli import serve_app
from service.scoring.cli import score_app
from training.data_cli import data_app
from training.train_cli import train_app

app = typer.Typer(
    help="Appraiser: multimodal price prediction for second-hand listings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(train_app)
app.add_typer(serve_app)
app.add_typer(score_app)


# The libraries' start-up chatter, which a new user reads as errors where nothing is wrong.
QUIET = {
    # TensorFlow's C++ lines: CPU features, oneDNN, CUDA probing ("failed call to cuInit").
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # MLflow's per-file "Downloading artifacts" bars, on every model load.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def quiet_console(environ: MutableMapping[str, str]) -> None:
    """Hide the chatter unless APPRAISER_LOG_LEVEL=debug (or the variables are already set).
    Must run before TensorFlow is imported: it reads its level once."""
    if environ.get("APPRAISER_LOG_LEVEL", "").strip().lower() == "debug":
        return
    for name, value in QUIET.items():
        environ.setdefault(name, value)


def main() -> None:
    """Console-script entry point."""
    quiet_console(os.environ)
    app()
