"""A full disk, or an output folder that turns unwritable, stops the job with exit 1 naming the
file; the parts already written are kept whole and --resume completes the job.

Tests run as root, whom chmod does not stop, so the failures are raised where the OS raises
them: opening or writing the temporary file of the job's atomic writer.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import Result

from service.scoring import atomic
from service.scoring import output as output_module
from service.scoring import parts as parts_module
from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score

pytestmark = pytest.mark.scoring
CHUNK = "8"  # the tiny dataset's 40 rows: parts 0 to 4
Writer = Callable[[Path, str], AbstractContextManager[Path]]
Blocked = Callable[[Path], bool]


def _unwritable(blocked: Blocked) -> Writer:
    """The job's atomic writer, where creating a `blocked` file fails as in a read-only folder."""

    @contextmanager
    def replacing(path: Path, what: str) -> Iterator[Path]:
        with atomic.replacing(path, what) as tmp:
            if blocked(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp))
            yield tmp

    return replacing


def _disk_full_midway(blocked: Blocked) -> Writer:
    """The job's atomic writer, where the disk fills up while a `blocked` file is written: half
    its bytes land, then the write fails."""

    @contextmanager
    def replacing(path: Path, what: str) -> Iterator[Path]:
        with atomic.replacing(path, what) as tmp:
            yield tmp
            if blocked(path):
                os.truncate(tmp, tmp.stat().st_size // 2)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

    return replacing


def _after_parts(count: int, folder: Path) -> Blocked:
    """Every file in `folder` from the part after the first `count` on: the folder turned
    unwritable, or the disk full, between two parts."""
    started: list[Path] = []

    def blocked(path: Path) -> bool:
        if path.parent == folder and path.name.startswith("part-"):
            started.append(path)
        return path.parent == folder and len(started) > count

    return blocked


def _parts_folder(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def _clean_run(dataset: Path, output: Path) -> Path:
    result = run_score(MODEL_URI, dataset, output, "--chunk-size", CHUNK)
    assert result.exit_code == 0, result.output
    return output


def _assert_stopped(result: Result, message: str) -> str:
    """Exit 1 with one error line holding `message`, no crash; returns that line."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # handled, not a traceback
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.output
    return errors[0]


def _kept_parts(output: Path) -> list[int]:
    """The parts the manifest records, each read whole; the folder holds nothing else (no
    temporary file, no half part)."""
    folder = _parts_folder(output)
    recorded = json.loads((folder / "manifest.json").read_text())["parts"]
    names = {f"part-{int(i):06d}.parquet": info["rows"] for i, info in recorded.items()}
    for name, rows in names.items():
        assert len(pd.read_parquet(folder / name)) == rows
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json", *names])
    return sorted(int(i) for i in recorded)


def _assert_resumes(dataset: Path, output: Path, clean: Path, skipped: int) -> None:
    """--resume (no fault now) keeps the parts, scores the rest, and writes the clean output."""
    result = run_score(MODEL_URI, dataset, output, "--chunk-size", CHUNK, "--resume", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["rows"], summary["skipped"]) == (40, skipped)
    got = read_table(output)
    assert got["id"].is_unique and len(got) == 40
    pd.testing.assert_frame_equal(got, read_table(clean))
    assert not _parts_folder(output).exists()


def test_parts_folder_turning_unwritable_exits_1_naming_the_part_and_resume_completes(
    store_env: Store, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _clean_run(dataset, tmp_path / "clean.csv")
    output = tmp_path.resolve() / "out.csv"
    folder = _parts_folder(output)
    with monkeypatch.context() as patch:
        patch.setattr(parts_module, "replacing", _unwritable(_after_parts(2, folder)))
        failed = run_score(MODEL_URI, dataset, output, "--chunk-size", CHUNK)
    line = _assert_stopped(
        failed, f"cannot write part {folder / 'part-000002.parquet'}: Permission denied"
    )
    assert f"the 2 part(s) already written are kept in {folder}" in line
    assert line.endswith("run again with --resume")
    assert _kept_parts(output) == [0, 1]
    assert not output.exists()
    _assert_resumes(dataset, output, clean, skipped=16)
    assert output.read_bytes() == clean.read_bytes()


def test_disk_full_midway_through_a_part_leaves_no_part_resume_would_trust(
    store_env: Store, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _clean_run(dataset, tmp_path / "clean.parquet")
    output = tmp_path.resolve() / "out.parquet"
    folder = _parts_folder(output)
    with monkeypatch.context() as patch:
        patch.setattr(parts_module, "replacing", _disk_full_midway(_after_parts(3, folder)))
        failed = run_score(MODEL_URI, dataset, output, "--chunk-size", CHUNK)
    _assert_stopped(
        failed, f"cannot write part {folder / 'part-000003.parquet'}: No space left on device"
    )
    assert _kept_parts(output) == [0, 1, 2]  # the half-written part 3 is gone, not kept
    _assert_resumes(dataset, output, clean, skipped=24)


def test_output_folder_unwritable_at_assembly_keeps_every_part_for_resume(
    store_env: Store, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _clean_run(dataset, tmp_path / "clean.csv")
    output = tmp_path.resolve() / "out.csv"
    with monkeypatch.context() as patch:
        patch.setattr(output_module, "replacing", _unwritable(lambda path: path == output))
        failed = run_score(MODEL_URI, dataset, output, "--chunk-size", CHUNK)
    line = _assert_stopped(failed, f"cannot write output {output}: Permission denied")
    assert "the 5 part(s) already written are kept" in line
    assert _kept_parts(output) == [0, 1, 2, 3, 4]
    assert not output.exists()
    _assert_resumes(dataset, output, clean, skipped=40)  # nothing scored twice
    assert output.read_bytes() == clean.read_bytes()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_real_no_space_error_from_the_os_reads_the_same(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    clean = _clean_run(dataset, tmp_path / "clean.csv")
    output = tmp_path.resolve() / "out.csv"
    folder = _parts_folder(output)
    folder.mkdir()
    # Part 1's temporary file is the kernel's always-full device: its write fails with ENOSPC.
    atomic.temporary_path(folder / "part-000001.parquet").symlink_to("/dev/full")
    failed = run_score(MODEL_URI, dataset, output, "--chunk-size", CHUNK)
    _assert_stopped(
        failed, f"cannot write part {folder / 'part-000001.parquet'}: No space left on device"
    )
    assert _kept_parts(output) == [0]  # and the link is gone
    _assert_resumes(dataset, output, clean, skipped=8)


def test_spark_driver_failing_to_write_a_part_exits_1_naming_it(
    store_env: Store, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path.resolve() / "out.csv"
    folder = _parts_folder(output)
    with monkeypatch.context() as patch:
        patch.setattr(parts_module, "replacing", _unwritable(_after_parts(1, folder)))
        failed = run_score(MODEL_URI, dataset, output, "--engine", "spark", "--chunk-size", "16")
    line = _assert_stopped(
        failed, f"cannot write part {folder / 'part-000001.parquet'}: Permission denied"
    )
    assert "--resume" not in line  # Spark does not resume: a plain rerun is the way
    assert not output.exists()
