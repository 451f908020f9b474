"""The `appraise` command: one entry point whose sub-commands live beside the code they run.

Sub-command modules import their heavy dependencies (TensorFlow, MLflow) inside the commands, so
`appraise --help` is quick and `appraise serve` never loads the training stack.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator, MutableMapping

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
LOADS_TENSORFLOW = frozenset({"train", "evaluate", "tiers", "serve", "score"})
QUIET = {
    # TensorFlow's C++ lines: CPU features, oneDNN, CUDA probing ("failed call to cuInit").
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # MLflow's per-file "Downloading artifacts" bars, on every model load.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    # MLflow's own notices ("Creating initial MLflow database tables..."); its warnings stay.
    "MLFLOW_LOGGING_LEVEL": "WARNING",
}


def wants_debug(environ: MutableMapping[str, str]) -> bool:
    """APPRAISER_LOG_LEVEL=debug: show everything the libraries print."""
    return environ.get("APPRAISER_LOG_LEVEL", "").strip().lower() == "debug"


def quiet_console(environ: MutableMapping[str, str]) -> None:
    """Hide the chatter unless debugging (a variable the user set is kept). Must run before
    TensorFlow is imported: it reads its level once."""
    if not wants_debug(environ):
        for name, value in QUIET.items():
            environ.setdefault(name, value)


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point the process's stderr (fd 2, where C++ libraries write) at /dev/null for a while."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@app.callback()
def _before(ctx: typer.Context) -> None:
    """Load TensorFlow quietly for the commands that use it: TensorFlow 2.21 writes its oneDNN
    and CUDA notices before its own logging starts, where TF_CPP_MIN_LOG_LEVEL cannot reach."""
    if ctx.invoked_subcommand in LOADS_TENSORFLOW and not wants_debug(os.environ):
        with stderr_silenced():
            importlib.import_module("tensorflow")


def main() -> None:
    """Console-script entry point."""
    quiet_console(os.environ)
    app()
