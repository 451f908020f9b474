"""`make bench-explain`: what explanations cost (issue 22), on the model `bench.prepare` trained.

1. CPU per request: `appraise serve` under wrk, /v1/explain against /v1/predict on the same
   listings, in alternating rounds on one server (bench.explain_cost); goal: at most 4x.
2. Where an explanation's CPU goes, step by step in this process (bench.explain_steps).
3. What the explanation artifact adds to the logged model, per listing and at 20k and 1M
   listings (bench.explain_size).

Writes OUT/explain.md (printed too) and OUT/explain.json. `--service-tree` runs the server from
another checkout (its code first on the path), e.g. one where /v1/explain has landed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import explain_cost, explain_size, explain_steps, servers
from bench.explain_report import markdown
from bench.machine import describe
from bench.prepare import Prepared
from bench.stream import request_stream, service_body, write_bodies

log = logging.getLogger("bench")
PORT = 8713


@dataclass
class Results:
    """Every figure of one run (what was skipped stays empty)."""

    machine: str
    service: str
    runs: list[explain_cost.Run] = field(default_factory=list)
    steps: list[explain_steps.Step] = field(default_factory=list)
    size: explain_size.ArtifactSize | None = None


def measure_steps(
    prepared: Prepared, listings: list[dict[str, object]], k: int
) -> list[explain_steps.Step]:
    """The steps in this process, with the service's settings (one TensorFlow thread each):
    first, before anything here runs TensorFlow with other thread counts."""
    from service.inference.loading import load_predictor
    from service.inference.settings import ServingSettings

    predictor = load_predictor(
        prepared.model_uri, ServingSettings(tracking_uri=prepared.tracking_uri)
    )
    predictor.warm()
    return explain_steps.measure(predictor, listings, k, rounds=3)


def measure_cpu(
    out: Path, prepared: Prepared, count: int, args: argparse.Namespace
) -> list[explain_cost.Run]:
    """Start the service, run both routes in rounds, stop it."""
    env = {
        "MLFLOW_TRACKING_URI": prepared.tracking_uri,
        "APPRAISER_TRACKING_URI": prepared.tracking_uri,
        "APPRAISER_RELOAD_INTERVAL_S": "0",
        "APPRAISER_LOG_LEVEL": "warning",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        **dict(pair.split("=", 1) for pair in args.service_env),
    }
    if args.service_tree:
        env["PYTHONPATH"] = str(args.service_tree.resolve())
    base = f"http://127.0.0.1:{PORT}"
    command = servers.appraise_serve(prepared.model_uri, PORT)
    with servers.running(
        command, f"{base}/readyz", out / "logs" / "explain-service.log", env
    ) as pid:
        return explain_cost.measure(
            base, pid, out / "bodies" / "service", count, args.clients, args.seconds, args.rounds
        )


def run(args: argparse.Namespace) -> Results:
    out: Path = args.out.resolve()
    prepared = Prepared.read(out)
    tree = args.service_tree.resolve() if args.service_tree else Path(__file__).parent.parent
    results = Results(describe(), f"appraise serve from {tree}")
    listings = request_stream(prepared.data, args.stream)
    write_bodies(listings, out / "bodies" / "service", "service")
    if "steps" not in args.skip:
        log.info("steps of one explanation, in-process")
        results.steps = measure_steps(prepared, [service_body(x) for x in listings[:64]], 5)
    if "size" not in args.skip:
        log.info("size of the explanation artifact")
        results.size = explain_size.measure(
            prepared.model_uri, prepared.tracking_uri, args.real_photos
        )
    if "cpu" not in args.skip:
        log.info("predict and explain through the service, %d rounds", args.rounds)
        results.runs = measure_cpu(out, prepared, len(listings), args)
    return results


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Folder prepared by `python -m bench.prepare`.")
    parser.add_argument("--clients", default="1,8,32", help="Concurrencies, comma-separated.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Seconds per wrk run.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds per route.")
    parser.add_argument("--stream", type=int, default=512, help="Listings in the stream.")
    parser.add_argument("--skip", default="", help="Comma-separated: cpu, steps, size.")
    parser.add_argument(
        "--service-tree", type=Path, default=None,
        help="Run the service from this checkout (default: this one).",
    )  # fmt: skip
    parser.add_argument(
        "--real-photos", type=Path, default=None,
        help="A folder of real JPEGs to size thumbnails of real photos (e.g. the Houses set).",
    )  # fmt: skip
    parser.add_argument(
        "--service-env", action="append", default=[], metavar="APPRAISER_X=VALUE",
        help="A setting for the service under test, e.g. APPRAISER_TARGET_BATCH_SIZE=32.",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    args.skip = set(filter(None, args.skip.split(",")))
    return args


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse()
    results = run(args)
    report = markdown(results, args)
    (args.out / "explain.md").write_text(report)
    (args.out / "explain.json").write_text(json.dumps(asdict(results), indent=2, default=str))
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
