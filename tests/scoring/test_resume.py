"""A job that crashes or is killed midway, resumed with --resume, writes the same output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from service.scoring.errors import ScoringError
from service.scoring.job import run_job
from service.scoring.request import ScoreRequest
from service.scoring.settings import ScoringSettings
from tests.scoring.conftest import MODEL_URI, Store, read_table, run_score
from tests.waiting import eventually

pytestmark = pytest.mark.scoring


class CrashError(RuntimeError):
    """Stands for a crash of the scoring process."""


def _crash_after(parts: int) -> object:
    def hook(index: int) -> None:
        if index + 1 >= parts:
            raise CrashError(f"crashed after part {index}")

    return hook


def _done_parts(output: Path) -> int:
    manifest = output.with_name(output.name + ".parts") / "manifest.json"
    try:
        return len(json.loads(manifest.read_text())["parts"])
    except (OSError, ValueError, KeyError):
        return 0


def test_crash_then_resume_scores_only_the_rest_and_matches_a_clean_run(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    clean = tmp_path / "clean.csv"
    assert run_score(MODEL_URI, dataset, clean, "--chunk-size", "8").exit_code == 0
    output = tmp_path / "out.csv"
    request = ScoreRequest(MODEL_URI, dataset, output, chunk_size=8, progress=False)
    with pytest.raises(CrashError):
        run_job(request, ScoringSettings(), say=lambda _: None, on_part=_crash_after(2))  # type: ignore[arg-type]
    assert not output.exists()  # never a partial file under the final name
    assert _done_parts(output) == 2
    result = run_score(MODEL_URI, dataset, output, "--chunk-size", "8", "--resume", "--json")
    assert result.exit_code == 0, result.output
    assert "resuming: 2 part(s) already scored" in result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["rows"] == 40 and summary["skipped"] == 16
    pd.testing.assert_frame_equal(read_table(output), read_table(clean))
    assert output.read_bytes() == clean.read_bytes()


def test_resume_refuses_the_parts_of_a_different_job(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.parquet"
    request = ScoreRequest(MODEL_URI, dataset, output, chunk_size=8, progress=False)
    with pytest.raises(CrashError):
        run_job(request, ScoringSettings(), say=lambda _: None, on_part=_crash_after(1))  # type: ignore[arg-type]
    result = run_score(MODEL_URI, dataset, output, "--chunk-size", "10", "--resume")
    assert result.exit_code == 1
    assert "belongs to a different job (chunk_size: was 8, now 10)" in result.output
    with pytest.raises(ScoringError, match="input_mtime_ns"):
        os.utime(dataset / "listings.csv", ns=(0, 0))
        run_job(
            ScoreRequest(MODEL_URI, dataset, output, chunk_size=8, resume=True, progress=False),
            ScoringSettings(),
            say=lambda _: None,
        )
    fresh = run_score(MODEL_URI, dataset, output, "--chunk-size", "10")  # no --resume: start over
    assert fresh.exit_code == 0, fresh.output
    assert "discarding 1 part(s) of an earlier run" in fresh.output
    assert len(read_table(output)) == 40


def _big_input(dataset: Path, copies: int) -> Path:
    """The tiny dataset's rows repeated (photos shared), with unique ids."""
    listings = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    big = pd.concat([listings] * copies, ignore_index=True)
    big["id"] = [f"R{i:05d}" for i in range(len(big))]
    path = dataset / "big.csv"
    big.drop(columns=["price"]).to_csv(path, index=False)
    return path


def test_killed_process_resumed_gives_the_uninterrupted_output(
    store_env: Store, dataset: Path, tmp_path: Path
) -> None:
    source = _big_input(dataset, copies=50)  # 2,000 rows, 40 parts of 50
    output = tmp_path / "out.parquet"
    args = [MODEL_URI, str(source), str(output), "--chunk-size", "50", "--no-progress"]
    appraise = Path(sys.executable).with_name("appraise")
    process = subprocess.Popen([str(appraise), "score", *args], env=os.environ.copy())
    try:
        eventually(lambda: _done_parts(output) >= 2 or process.poll() is not None, 180, 0.01)
        process.kill()
    finally:
        process.wait()
    assert process.returncode == -9, "the job finished before it could be killed"
    assert not output.exists()
    killed_at = _done_parts(output)
    assert 2 <= killed_at < 40
    resumed = run_score(*args[:3], "--chunk-size", "50", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert f"resuming: {killed_at} part(s)" in resumed.output
    clean = tmp_path / "clean.parquet"
    assert run_score(MODEL_URI, source, clean, "--chunk-size", "50").exit_code == 0
    pd.testing.assert_frame_equal(read_table(output), read_table(clean))
    assert len(read_table(output)) == 2000
