"""Files written whole or not at all: under a temporary name, then renamed into place.

`os.replace` is atomic, so a crash or a kill leaves the old file (or none), never half of one.
Parts, the manifest and the output are all written this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from service.scoring.errors import WriteError, reason


def temporary_path(path: Path) -> Path:
    """Where `replacing` writes `path` first: hidden, beside it, so the rename stays on one
    filesystem."""
    return path.with_name(f".{path.name}.tmp")


@contextmanager
def replacing(path: Path, what: str) -> Iterator[Path]:
    """A temporary path beside `path` to write; renamed to `path` when the block succeeds,
    removed when it fails. An OSError (full disk, unwritable folder) becomes a WriteError naming
    `what` ("part", "output", ...) and `path`."""
    tmp = temporary_path(path)
    try:
        yield tmp
        tmp.replace(path)
    except OSError as exc:
        raise WriteError(f"cannot write {what} {path}: {reason(exc)}") from exc
    finally:
        # Only `path` is ever read, never the temporary file: failing to remove it (the folder
        # just turned read-only) must not replace the error that says why the write failed.
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
