"""The one error a scoring job stops on: its input, output or model cannot be used."""

from __future__ import annotations


class ScoringError(RuntimeError):
    """The job cannot run; the message names the file, column or setting and what is wrong."""
