"""One scoring job from start to end: check input and output, load the model, score, assemble.

The engines only score; this module owns what both share: the input's identity in the manifest,
the final row count check and the atomic output.
"""

from __future__ import annotations

from pathlib import Path

from service.scoring.errors import ScoringError, WriteError
from service.scoring.identity import identity
from service.scoring.local import Job, PartHook, run_local
from service.scoring.model import added_columns, load_warm
from service.scoring.output import check_output, output_columns, write_output
from service.scoring.parts import WorkFolder
from service.scoring.progress import Summary, progress_bar
from service.scoring.request import Engine, Say, ScoreRequest
from service.scoring.settings import ScoringSettings
from service.scoring.source import Source, count_rows, key_column, open_source


def run_job(
    request: ScoreRequest, settings: ScoringSettings, say: Say, on_part: PartHook | None = None
) -> Summary:
    """Score INPUT into OUTPUT; raises ScoringError when the input, output or model is unusable,
    or a file cannot be written (then the parts already written are kept)."""
    source = open_source(request.input)
    output = check_output(request.output)
    if request.batch_size is not None:
        settings = settings.model_copy(update={"max_batch_size": request.batch_size})
    work = WorkFolder(output)
    try:
        summary, total, columns = _score(request, settings, source, work, say, on_part)
        _finish(work, output, summary, total, columns)
    except WriteError as exc:
        raise WriteError(f"{exc}; {_rerun(request, work)}") from exc
    return summary


def _score(
    request: ScoreRequest,
    settings: ScoringSettings,
    source: Source,
    work: WorkFolder,
    say: Say,
    on_part: PartHook | None,
) -> tuple[Summary, int, list[str]]:
    """Score every row into the parts of `work` with the requested engine; the counts, the
    input's rows and the output's columns."""
    if request.engine == Engine.SPARK:
        try:
            from service.scoring.spark import run_spark  # PySpark only when asked for
        except ImportError as exc:
            raise ScoringError(
                f"--engine spark needs PySpark ({exc}): install the project's `spark` extra "
                "(make setup does) and a Java runtime (17 or later)"
            ) from exc
        total = count_rows(source)
        summary, columns = run_spark(request, settings, source, work, total, say)
        return summary, total, columns
    return _run_local(request, settings, source, work, say, on_part)


def _rerun(request: ScoreRequest, work: WorkFolder) -> str:
    """What to do after a failed write: the local engine resumes from the parts it kept."""
    fix = "once the disk has space and the folder can be written, run again"
    if request.engine == Engine.SPARK or not work.done:  # nothing to resume (Spark never does)
        return fix
    kept = f"the {len(work.done)} part(s) already written are kept in {work.folder}"
    return f"{kept}; {fix} with --resume"


def _run_local(
    request: ScoreRequest,
    settings: ScoringSettings,
    source: Source,
    work: WorkFolder,
    say: Say,
    on_part: PartHook | None,
) -> tuple[Summary, int, list[str]]:
    predictor = load_warm(request.model_uri, settings)
    added = added_columns(predictor, request)
    key = key_column(source, predictor.schema)
    total = count_rows(source)
    note = work.start(identity(request, source, predictor, key), request.resume)
    if note:
        say(note)
    job = Job(source, key, request.chunk_size, request.explain_k)
    summary = Summary()  # timed from here: loading the model is not scoring
    with progress_bar(total, request.progress) as bar:
        run_local(predictor, job, work, summary, bar, settings.decode_threads, on_part)
    return summary, total, output_columns(key, added)


def _finish(
    work: WorkFolder, output: Path, summary: Summary, total: int, columns: list[str]
) -> None:
    """Check every input row has its output row, then write OUTPUT atomically."""
    if summary.rows != total:
        raise ScoringError(
            f"input {work.identity['input']}: scored {summary.rows} rows but it has {total}; "
            "did it change while it was scored?"
        )
    parts = [work.part_path(i) for i in sorted(work.done)]
    missing = [p.name for p in parts if not p.is_file()]
    if missing:
        raise ScoringError(f"{work.folder}: part(s) {', '.join(missing[:3])} vanished; run again")
    write_output(output, parts, columns)
    work.remove()
    summary.finish()
