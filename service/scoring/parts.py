"""The work folder beside the output: one Parquet part per chunk, and a manifest of what is done.

Every file is written whole or not at all (service.scoring.atomic), so a kill leaves either a
whole part or none. The manifest records the input's identity, so `--resume` never
mixes parts scored from a different input, chunk size or model.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from service.scoring.atomic import replacing
from service.scoring.errors import ScoringError, WriteError, reason

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class PartInfo:
    """What one finished part holds."""

    rows: int
    errors: int


class WorkFolder:
    """`OUTPUT.parts/`: the parts of one job and its manifest."""

    def __init__(self, output: Path) -> None:
        self.folder = output.with_name(output.name + ".parts")
        self.done: dict[int, PartInfo] = {}
        self._identity: dict[str, Any] = {}

    def start(self, identity: dict[str, Any], resume: bool) -> str | None:
        """Open the folder for this job; returns a note for the user about earlier parts.

        With `resume`, parts of an earlier run of the same job are kept; a manifest from a
        different job is refused. Without it, earlier parts are discarded.
        """
        self._identity = identity
        earlier = self._read_manifest()
        note = None
        if earlier is not None and resume:
            _check_same_job(self.folder / MANIFEST, earlier.get("identity", {}), identity)
            self.done = {int(k): PartInfo(**v) for k, v in earlier.get("parts", {}).items()}
            note = f"resuming: {len(self.done)} part(s) already scored in {self.folder}"
        elif earlier is not None:
            note = f"discarding {len(earlier.get('parts', {}))} part(s) of an earlier run"
            self._clear()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot create folder {self.folder}: {reason(exc)}") from exc
        self._write_manifest(self.done)
        return note

    @property
    def identity(self) -> dict[str, Any]:
        """The identity of the job this folder holds parts of."""
        return self._identity

    def part_path(self, index: int) -> Path:
        return self.folder / f"part-{index:06d}.parquet"

    def write_part(self, index: int, frame: pd.DataFrame) -> None:
        """Write one scored chunk atomically, then record it in the manifest.

        Raises WriteError naming the file when either cannot be written.
        """
        with replacing(self.part_path(index), "part") as tmp:
            frame.to_parquet(tmp, index=False)
        errors = int((frame["error"] != "").sum())
        done = {**self.done, index: PartInfo(rows=len(frame), errors=errors)}
        self._write_manifest(done)
        self.done = done  # only once recorded: a part the manifest lacks is scored again

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _clear(self) -> None:
        """Discard an earlier run's parts; a folder that refuses is named, not a traceback."""
        try:
            shutil.rmtree(self.folder)
        except OSError as exc:
            raise WriteError(
                f"cannot discard the earlier parts in {self.folder}: {reason(exc)}"
            ) from exc

    def _read_manifest(self) -> dict[str, Any] | None:
        path = self.folder / MANIFEST
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # unreadable: treated as a different job (refused on resume)
        return data if isinstance(data, dict) else {}

    def _write_manifest(self, done: dict[int, PartInfo]) -> None:
        data = {
            "version": MANIFEST_VERSION,
            "identity": self._identity,
            "parts": {str(k): vars(v) for k, v in sorted(done.items())},
        }
        with replacing(self.folder / MANIFEST, "manifest") as tmp:
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _check_same_job(path: Path, earlier: dict[str, Any], now: dict[str, Any]) -> None:
    # Both sides' keys: an entry only one job has (--explain) is a difference too.
    changed = [k for k in sorted(now.keys() | earlier.keys()) if earlier.get(k) != now.get(k)]
    if changed:
        detail = "; ".join(f"{k}: was {earlier.get(k)!r}, now {now.get(k)!r}" for k in changed)
        raise ScoringError(
            f"cannot resume: {path} belongs to a different job ({detail}); "
            "run without --resume to start over"
        )
