"""What the user sees while a job runs: a progress bar on stderr, and a summary at the end."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from tqdm import tqdm


@dataclass
class Summary:
    """Counts of one job: rows in the input, rows priced, rows with an error, and its speed."""

    rows: int = 0
    scored: int = 0
    errors: int = 0
    skipped: int = 0  # rows of parts already done by an earlier run (--resume)
    seconds: float = 0.0
    started: float = field(default_factory=time.monotonic, repr=False)

    def add(self, rows: int, errors: int) -> None:
        self.rows += rows
        self.errors += errors
        self.scored += rows - errors

    def finish(self) -> None:
        self.seconds = time.monotonic() - self.started

    @property
    def rows_per_second(self) -> float:
        """Rows scored by this run (skipped parts excluded) per second of the run."""
        return (self.rows - self.skipped) / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        resumed = f" ({self.skipped} from earlier parts)" if self.skipped else ""
        return (
            f"{self.rows} rows{resumed}: {self.scored} scored, {self.errors} errors; "
            f"{self.seconds:.1f} s, {self.rows_per_second:.0f} rows/s"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("started")
        data["seconds"] = round(self.seconds, 3)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data


def progress_bar(total: int, enabled: bool) -> tqdm[Any]:
    """Rows scored out of `total`, with rows per second and time left, on stderr."""
    return tqdm(total=total, unit="row", unit_scale=True, disable=not enabled, smoothing=0.1)
