"""The benchmark's answer: one Markdown table, the ratios, and each target met or missed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.http import Target
from bench.limit import Limit
from bench.scoring import ScoringRate
from bench.training_rate import TrainingRate

MLFLOW_FACTOR, LIMIT_SHARE, LATENCY_SLACK_MS = 25.0, 0.70, 5.0
TRAINING_SHARE, SCORING_SHARE = 0.90, 0.80


@dataclass
class Results:
    """Every figure of one run."""

    machine: str
    limit: Limit
    targets: list[Target]
    training: TrainingRate | None = None
    scoring: ScoringRate | None = None
    scoring_limit: float | None = None
    notes: list[str] = field(default_factory=list)

    def target(self, name: str) -> Target:
        return next(t for t in self.targets if t.name == name)


def _rate(t: Target, clients: int) -> float:
    return next(r.rate for r in t.results if r.clients == clients)


def http_table(results: Results) -> list[str]:
    lim = results.limit
    used = lim.cores[lim.best_batch]
    lines = [
        "| setup | clients | req/s | p50 ms | p99 ms | server CPU (cores) | req/s per core "
        "| wrk CPU (cores) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| limit: Predictor in-process, batch {lim.best_batch} | - | {lim.best_rate:.0f} "
        f"| {lim.single_ms[0]:.1f} | {lim.single_ms[1]:.1f} | {used:.2f} "
        f"| {_per_core(lim.best_rate, used)} | - |",
    ]
    for t in results.targets:
        for r in t.results:
            server, client = t.cpu.get(r.clients, (0.0, 0.0))
            bad = f" ({r.errors} errors)" if r.errors else ""
            lines.append(
                f"| {t.name} | {r.clients} | {r.rate:.1f}{bad} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
                f"| {server:.2f} | {_per_core(r.rate, server)} | {client:.2f} |"
            )
    return lines


def _per_core(rate: float, cores: float) -> str:
    """Throughput per CPU core used: steadier than raw req/s when other work shares the CPU."""
    return f"{rate / cores:.0f}" if cores > 0 else "-"


def ratio_table(results: Results, clients: Sequence[int]) -> list[str]:
    service = results.target("service")
    others = [t for t in results.targets if t.name != "service"]
    names = [f"service / {t.name}" for t in others] + ["service / limit"]
    head = "| clients | " + " | ".join(names) + " | service / limit, per core used |"
    lines = [head, "|" + " ---: |" * (len(others) + 3)]
    lim = results.limit
    lim_per_core = lim.best_rate / max(lim.cores[lim.best_batch], 1e-9)
    for n in clients:
        mine = _rate(service, n)
        cells = [f"{mine / _rate(t, n):.1f}x" for t in others]
        cells.append(f"{mine / lim.best_rate:.0%}")
        cores = service.cpu.get(n, (0.0, 0.0))[0]
        cells.append(f"{mine / cores / lim_per_core:.0%}" if cores > 0 else "-")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def verdicts(results: Results, clients: Sequence[int]) -> list[str]:
    """Each target of issue 6 with the figure that decides it."""
    top, one = max(clients), min(clients)
    service = results.target("service")
    mine = _rate(service, top)
    mlflow = _rate(results.target("mlflow serve"), top)
    p99 = next(r.p99_ms for r in service.results if r.clients == one)
    lim = results.limit
    checks = [
        (f"service at {top} clients >= {MLFLOW_FACTOR:.0f}x mlflow serve", mine / mlflow,
         mine >= MLFLOW_FACTOR * mlflow, f"{mine / mlflow:.1f}x"),
        (f"service at {top} clients >= {LIMIT_SHARE:.0%} of the limit", mine / lim.best_rate,
         mine >= LIMIT_SHARE * lim.best_rate, f"{mine / lim.best_rate:.0%}"),
        (f"service p99 at {one} client <= limit's single-listing p99 + {LATENCY_SLACK_MS:.0f} ms",
         p99, p99 <= lim.single_ms[1] + LATENCY_SLACK_MS,
         f"{p99:.1f} ms vs {lim.single_ms[1]:.1f} + {LATENCY_SLACK_MS:.0f} ms "
         f"(limit p50 {lim.single_ms[0]:.1f} ms)"),
    ]  # fmt: skip
    lines = [f"- {'met' if ok else 'MISSED'}: {name}: {text}" for name, _, ok, text in checks]
    if results.training:
        ratio = results.training.ratio
        ok = ratio >= TRAINING_SHARE
        lines.append(
            f"- {'met' if ok else 'MISSED'}: training input pipeline >= {TRAINING_SHARE:.0%} of "
            f"the in-memory step rate: {ratio:.0%}"
        )
    lines.append(_scoring_verdict(results))
    return lines


def _scoring_verdict(results: Results) -> str:
    score, limit = results.scoring, results.scoring_limit
    if score is None or score.rows_per_second is None or not limit:
        why = score.note if score else "not measured"
        return f"- NOT MEASURED: batch scoring >= {SCORING_SHARE:.0%} of the limit: {why}"
    share = score.rows_per_second / limit
    ok = share >= SCORING_SHARE
    return (
        f"- {'met' if ok else 'MISSED'}: batch scoring >= {SCORING_SHARE:.0%} of the limit on "
        f"the same rows: {score.rows_per_second:.0f} vs {limit:.0f} rows/s = {share:.0%}"
    )


def other_lines(results: Results) -> list[str]:
    lines = []
    if results.training:
        t = results.training
        lines.append(
            f"- training (batch {t.batch_size}): {t.pipeline:.0f} examples/s through "
            f"`tf_dataset` (photos read from the store), {t.slices:.0f} with every photo in "
            f"memory as before the store ({t.store_share:.0%}), {t.memory:.0f} from one batch of "
            f"in-memory tensors ({t.ratio:.0%}); with "
            f"Keras's own batch normalisation {t.memory_keras_norm:.0f} from memory (the fused "
            f"kernel {t.memory / t.memory_keras_norm:.2f}x)"
        )
    if results.scoring and results.scoring.rows_per_second is not None:
        lines.append(
            f"- batch scoring (`appraise score`, {results.scoring.rows} rows): "
            f"{results.scoring.rows_per_second:.0f} rows/s; the limit on the same rows: "
            f"{results.scoring_limit or 0:.0f} rows/s"
        )
    per_batch = ", ".join(f"{b}: {r:.0f}" for b, r in results.limit.per_batch.items())
    lines.append(f"- limit by batch size (examples/s): {per_batch}")
    return lines


def thread_lines(results: Results) -> list[str]:
    """The service's CPU per request by thread, at each concurrency."""
    service = results.target("service")
    lines = []
    for n, spent in service.threads.items():
        total = sum(spent.values())
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items())
        lines.append(f"- {n} clients: {total:.2f} CPU ms per request: {parts}")
    if lines:
        lines.insert(0, "Service CPU per request by thread (ms):")
        lines.insert(1, "")
    return lines


def markdown(results: Results, clients: Sequence[int]) -> str:
    """The whole report, ready to paste into docs/benchmarks.md."""
    parts = [
        f"Machine: {results.machine}",
        "",
        *http_table(results),
        "",
        *ratio_table(results, clients),
        "",
        *other_lines(results),
        "",
        *thread_lines(results),
        "",
        "Targets:",
        "",
        *verdicts(results, clients),
    ]
    if results.notes:
        parts += ["", *(f"- {n}" for n in results.notes)]
    return "\n".join(parts) + "\n"
