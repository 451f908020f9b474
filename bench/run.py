"""`make bench`: the limit, this service, mlflow serve and the tutorial app on one request
stream, then training and batch scoring; prints a Markdown report and writes it to OUT/bench.md.

Run `python -m bench.prepare OUT` first (a fresh model and the photo sets), then
`python -m bench.run OUT`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from bench import http, limit, scoring, servers, training_rate
from bench.machine import describe
from bench.prepare import Prepared
from bench.report import Results, markdown
from bench.stream import request_stream, service_body, write_bodies

if TYPE_CHECKING:
    from service.scoring.settings import ScoringSettings

log = logging.getLogger("bench")
PORTS = {"service": 8710, "mlflow serve": 8711, "tutorial": 8712}


def limit_settings(prepared: Prepared) -> ScoringSettings:
    """The in-process measurements run alone, as batch scoring does, with its settings:
    TensorFlow's own thread counts, faster there (docs/benchmarks.md, "Figures behind the code"),
    unless APPRAISER_*_OP_THREADS set them. The training measurement, in the same process, gets
    the same counts."""
    from service.scoring.settings import ScoringSettings

    return ScoringSettings(tracking_uri=prepared.tracking_uri)


def measure_limit(
    prepared: Prepared, bodies: list[dict[str, object]], seconds: float
) -> limit.Limit:
    """Load the model as the service does and measure it in this process."""
    from service.inference.loading import load_predictor

    predictor = load_predictor(prepared.model_uri, limit_settings(prepared))
    predictor.warm()
    return limit.measure(predictor, bodies, os.cpu_count() or 2, seconds)


def measure_scoring_limit(prepared: Prepared, source: Path, batch: int) -> float:
    """The in-process limit on exactly the rows batch scoring reads (photos as file paths)."""
    import csv

    from service.inference.loading import load_predictor

    predictor = load_predictor(prepared.model_uri, limit_settings(prepared))
    predictor.warm()
    with source.open(newline="", encoding="utf-8") as handle:
        rows: list[dict[str, object]] = [dict(r) for r in csv.DictReader(handle)]
    for row in rows:
        row["year"] = int(str(row["year"]))
    return limit.rows_rate(predictor, rows, source.parent, batch, os.cpu_count() or 2)


def http_targets(out: Path, prepared: Prepared) -> list[tuple[http.Target, list[str], str]]:
    """(target, server command, readiness URL) for each server, same model, same stream."""

    def url(name: str, path: str) -> str:
        return f"http://127.0.0.1:{PORTS[name]}{path}"

    service_bodies, mlflow_bodies = out / "bodies" / "service", out / "bodies" / "mlflow"
    return [
        (http.Target("service", url("service", "/v1/predict"), service_bodies, profile=True),
         servers.appraise_serve(prepared.model_uri, PORTS["service"]), url("service", "/readyz")),
        (http.Target("mlflow serve", url("mlflow serve", "/invocations"), mlflow_bodies),
         servers.mlflow_serve(prepared.model_uri, PORTS["mlflow serve"]),
         url("mlflow serve", "/ping")),
        (http.Target("tutorial", url("tutorial", "/predict"), service_bodies),
         servers.tutorial_serve(PORTS["tutorial"]), url("tutorial", "/health")),
    ]  # fmt: skip


def measure_http(
    out: Path, prepared: Prepared, count: int, args: argparse.Namespace
) -> list[http.Target]:
    """Each server in turn: start it, measure every concurrency, stop it."""
    env = {
        "MLFLOW_TRACKING_URI": prepared.tracking_uri,
        "APPRAISER_TRACKING_URI": prepared.tracking_uri,
        "APPRAISER_RELOAD_INTERVAL_S": "0",
        "APPRAISER_LOG_LEVEL": "warning",
        "TUTORIAL_MODEL_URI": prepared.model_uri,
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        **dict(pair.split("=", 1) for pair in args.service_env),
    }
    done = []
    for target, command, ready in http_targets(out, prepared):
        log.info("measuring %s at %s clients", target.name, args.clients)
        logfile = out / "logs" / f"{target.name.replace(' ', '-')}.log"
        with servers.running(command, ready, logfile, env, args.server_cpus) as pid:
            done.append(
                http.measure(target, pid, count, args.clients, args.seconds, args.client_cpus)
            )
    return done


def run(args: argparse.Namespace) -> Results:
    out: Path = args.out.resolve()
    machine = describe()  # the load average before this run adds its own
    prepared = Prepared.read(out)
    listings = request_stream(prepared.data, args.stream)
    write_bodies(listings, out / "bodies" / "service", "service")
    write_bodies(listings, out / "bodies" / "mlflow", "mlflow")
    log.info("limit: the predictor in-process")
    lim = measure_limit(prepared, [service_body(x) for x in listings], args.limit_seconds)
    targets = measure_http(out, prepared, len(listings), args)
    results = Results(machine, lim, targets, notes=pinning_note(args))
    if "training" not in args.skip:
        log.info("training: input pipeline vs in-memory tensors")
        results.training = training_rate.measure(Path(prepared.train_folder))
    if "scoring" not in args.skip:
        log.info("batch scoring through `appraise score`")
        source = scoring.scoring_input(Path(prepared.train_folder))
        results.scoring = scoring.run_scoring(
            prepared.model_uri, prepared.tracking_uri, source, out / "scored.parquet", 32
        )
        results.scoring_limit = measure_scoring_limit(prepared, source, 32)
    return results


def pinning_note(args: argparse.Namespace) -> list[str]:
    servers_on = args.server_cpus or "all cores"
    client_on = args.client_cpus or "all cores"
    notes = [
        f"servers ran on {servers_on}, wrk (1 thread) on {client_on}; {args.seconds:g} s per run"
    ]
    if args.service_env:
        notes.append(f"service settings: {', '.join(args.service_env)}")
    return notes


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Folder prepared by `python -m bench.prepare`.")
    parser.add_argument("--clients", default="1,8,32", help="Concurrencies, comma-separated.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds per wrk run.")
    parser.add_argument("--stream", type=int, default=512, help="Listings in the stream.")
    parser.add_argument(
        "--limit-seconds", type=float, default=3.0, help="Seconds per batch size for the limit."
    )
    parser.add_argument("--server-cpus", default=None, help="taskset CPU list for servers.")
    parser.add_argument("--client-cpus", default=None, help="taskset CPU list for wrk.")
    parser.add_argument("--skip", default="", help="Comma-separated: training, scoring.")
    parser.add_argument(
        "--service-env", action="append", default=[], metavar="APPRAISER_X=VALUE",
        help="A setting for the service under test, e.g. APPRAISER_DECODE_THREADS=2 (repeatable).",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    args.skip = set(filter(None, args.skip.split(",")))
    return args


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse()
    results = run(args)
    report = markdown(results, args.clients)
    (args.out / "bench.md").write_text(report)
    (args.out / "bench.json").write_text(json.dumps(asdict(results), indent=2, default=str))
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
