"""The one error a scoring job stops on: its input, output or model cannot be used."""

from __future__ import annotations

import os


class ScoringError(RuntimeError):
    """The job cannot run; the message names the file, column or setting and what is wrong."""


class WriteError(ScoringError):
    """A file of the job could not be written (full disk, unwritable folder); the job stops,
    keeping the parts it finished, so a rerun with --resume can complete it."""


def reason(exc: OSError) -> str:
    """Why the OS refused, in its own words ('No space left on device'), without the detail
    some libraries wrap around it."""
    return os.strerror(exc.errno) if exc.errno else str(exc)
