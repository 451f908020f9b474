"""`make bench-explain`'s report: CPU per request side by side, the steps, the artifact's size."""

from __future__ import annotations

import argparse
import statistics
from typing import TYPE_CHECKING

from bench.explain_cost import median_cpu, ratios
from bench.explain_size import SIZES, ArtifactSize

if TYPE_CHECKING:
    from bench.explain import Results

GOAL = 4.0  # explain over predict CPU per request (issue 22)
MB = 1e6


def markdown(results: Results, args: argparse.Namespace) -> str:
    lines = [f"Machine: {results.machine}.", ""]
    if results.runs:
        lines += cpu_section(results, args)
    if results.steps:
        lines += ["", "Steps of one listing in-process (CPU ms, median of 3 rounds):", ""]
        lines += ["| step | CPU ms |", "| --- | ---: |"]
        lines += [f"| {s.name} | {s.cpu_ms:.2f} |" for s in results.steps]
    if results.size is not None:
        lines += ["", *size_section(results.size)]
    return "\n".join(lines) + "\n"


def cpu_section(results: Results, args: argparse.Namespace) -> list[str]:
    runs = results.runs
    lines = [
        f"{results.service}, {args.seconds:g} s per wrk run, {args.rounds} rounds:",
        "",
        "| round | route | clients | req/s | p50 ms | p99 ms | server CPU ms/request "
        "| rows per pass | errors |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r.round} | {r.route} | {r.clients} | {r.rate:.1f} | {r.p50_ms:.1f} | "
        f"{r.p99_ms:.1f} | {r.cpu_ms:.2f} | {r.rows_per_pass:.1f} | {r.errors} |"
        for r in runs
    ]
    lines += [
        "",
        "| clients | predict CPU ms/request | explain CPU ms/request | explain / predict, "
        f"by round | goal <= {GOAL:g}x |",
        "| ---: | ---: | ---: | --- | --- |",
    ]
    for n in args.clients:
        by_round = ratios(runs, n)
        ratio = statistics.median(by_round)
        lines.append(
            f"| {n} | {median_cpu(runs, 'predict', n):.2f} | {median_cpu(runs, 'explain', n):.2f}"
            f" | {', '.join(f'{x:.1f}x' for x in by_round)} (median {ratio:.1f}x) "
            f"| {'met' if ratio <= GOAL else 'MISSED'} |"
        )
    lines += ["", *thread_table(results, max(args.clients))]
    return lines


def thread_table(results: Results, clients: int) -> list[str]:
    """CPU ms per request by thread at `clients`, the median of the rounds."""
    names: dict[str, None] = {}
    for r in results.runs:
        names.update(dict.fromkeys(r.threads))
    lines = [
        f"Server CPU ms per request by thread at {clients} clients (median of the rounds):",
        "",
        "| thread | predict | explain |",
        "| --- | ---: | ---: |",
    ]
    for name in names:
        cells = []
        for route in ("predict", "explain"):
            values = [
                r.threads.get(name, 0.0)
                for r in results.runs
                if r.route == route and r.clients == clients
            ]
            cells.append(f"{statistics.median(values):.2f}" if values else "-")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return lines


def size_section(size: ArtifactSize) -> list[str]:
    real = size.real_thumbnail is not None
    head = f"| part | {size.listings:,} listings (KB) | bytes per listing |"
    head += "".join(f" {n:,} listings (MB) |" for n in SIZES)
    head += f" {SIZES[-1]:,} with real-photo thumbnails (MB) |" if real else ""
    columns = 3 + len(SIZES) + int(real)
    lines = [
        f"The explanation artifact of the logged model ({size.listings:,} listings, "
        f"{size.with_thumbnail:,} with a photo; joint representation of {size.dimensions} "
        f"floats; the whole logged model {size.model_bytes / MB:.2f} MB, its Keras file "
        f"{size.keras_bytes / MB:.2f} MB):",
        "",
        head,
        "| --- |" + " ---: |" * (columns - 1),
    ]
    scaled = [size.at(n) for n in SIZES]
    real_top = size.at(SIZES[-1], real=True) if real else None
    for part, stored in [*size.parts.items(), ("total", size.artifact_bytes)]:
        row = f"| {part} | {stored / 1e3:,.1f} | {stored / size.listings:,.0f} |"
        row += "".join(_cell(s, part) for s in scaled)
        row += _cell(real_top, part) if real_top is not None else ""
        lines.append(row)
    lines += [
        "",
        f"Loaded (vectors and the pandas table, thumbnails as bytes objects): "
        f"{size.memory_bytes / MB:.2f} MB, {size.memory_bytes / size.listings:,.0f} bytes per "
        "listing.",
        *[f"- {note}" for note in size.notes],
    ]
    return lines


def _cell(sizes: dict[str, float], part: str) -> str:
    """One part's MB, or all of them for `total`."""
    value = sum(sizes.values()) if part == "total" else sizes[part]
    return f" {value / MB:,.1f} |"
