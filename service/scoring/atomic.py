"""Files written whole or not at all: under a temporary name, then renamed into place.

`os.replace` is atomic, so a crash or a kill leaves the old file (or none), never half of one.
Parts, the manifest and the output are all written this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; renamed to `path` when the block succeeds,
    removed when it fails."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
