"""What `appraise score` was asked to do; light to import (no TensorFlow, no Spark)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DEFAULT_CHUNK_SIZE = 4096
# models.explainer's DEFAULT_COMPARABLES and MAX_COMPARABLES, here so the CLI loads without
# TensorFlow; tests/scoring/test_explain.py checks they agree.
DEFAULT_COMPARABLES, MAX_COMPARABLES = 5, 50
Say = Callable[[str], None]  # how a job tells the user something (stderr in the CLI)


class Engine(StrEnum):
    """Where the rows are scored."""

    LOCAL = "local"
    SPARK = "spark"


@dataclass(frozen=True)
class ScoreRequest:
    """The job: model, input, output and how to run it."""

    model_uri: str
    input: Path
    output: Path
    engine: Engine = Engine.LOCAL
    batch_size: int | None = None  # largest forward pass; None: the settings' max_batch_size
    chunk_size: int = DEFAULT_CHUNK_SIZE  # rows per part (and per chunk read)
    resume: bool = False
    spark_master: str = "local[*]"
    progress: bool = True
    explain: bool = False  # add each feature's contribution and the comparables' ids
    comparables: int = DEFAULT_COMPARABLES  # per row, with `explain`

    @property
    def explain_k(self) -> int | None:
        """Comparables per row when explaining; None when the job only prices."""
        return self.comparables if self.explain else None
