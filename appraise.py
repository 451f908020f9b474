"""The `appraise` command: one entry point whose sub-commands live beside the code they run.

Sub-command modules import their heavy dependencies (TensorFlow, MLflow) inside the commands, so
`appraise --help` is quick and `appraise serve` never loads the training stack.
"""

from __future__ import annotations

import os

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


def main() -> None:
    """Console-script entry point."""
    # TensorFlow's C++ start-up chatter (CPU features, CUDA probing) hides our own output.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app()
