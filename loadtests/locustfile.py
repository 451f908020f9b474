"""Locust users sending realistic Appraiser traffic: JSON with base64 photos of varied sizes,
multipart uploads, batch calls, listings without photos and a share of bad inputs (for which the
right 4xx is the success).

    PYTHONPATH=. locust -f loadtests/locustfile.py --host http://127.0.0.1:8000 \
        --data DIR[:WEIGHT],... [--mix json:60,multipart:15,batch:5,no_photo:15,bad:5]

`--data`, `--mix`, `--think-ms` and `--seed` also come from LOADTEST_DATA, LOADTEST_MIX,
LOADTEST_THINK_MS and LOADTEST_SEED. The users are FastHttpUsers: a lighter client leaves more of
the machine to the server.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from locust import events, task
from locust.contrib.fasthttp import FastHttpUser

from bench.pool import Pool, parse_sources
from loadtests.summary import write_summary
from loadtests.traffic import BUILDERS, DEFAULT_MIX, check_answer, parse_mix


def _arguments(parser: Any) -> None:
    parser.add_argument(
        "--data", env_var="LOADTEST_DATA", default="data/sample", help="DIR[:WEIGHT],..."
    )
    parser.add_argument(
        "--mix", env_var="LOADTEST_MIX", default=DEFAULT_MIX, help="kind:weight,..."
    )
    parser.add_argument(
        "--think-ms", env_var="LOADTEST_THINK_MS", type=float, default=100.0,
        help="Most think time between a user's requests (uniform from 0).",
    )  # fmt: skip
    parser.add_argument("--seed", env_var="LOADTEST_SEED", type=int, default=1, help="Seed.")
    parser.add_argument(
        "--summary-file", env_var="LOADTEST_SUMMARY_FILE", default="",
        help="Write the final totals (requests, failures, req/s, p50/p95/p99) here as JSON.",
    )  # fmt: skip


class Traffic:
    """The pool and the mix, read once per process when the test starts."""

    def __init__(self) -> None:
        self.pool: Pool | None = None
        self.kinds: list[str] = []
        self.weights: list[int] = []

    def load(self, environment: Any, **_: Any) -> None:
        options = environment.parsed_options
        if options is None:  # run as a library without a command line: nothing to configure
            return
        mix = parse_mix(options.mix)
        self.kinds, self.weights = list(mix), list(mix.values())
        self.pool = Pool(parse_sources(options.data))
        self.summary_file = options.summary_file

    def save_summary(self, environment: Any, **_: Any) -> None:
        """The final totals, read from locust's own statistics when the run stops."""
        if getattr(self, "summary_file", ""):
            write_summary(Path(self.summary_file), environment.stats.total)


TRAFFIC = Traffic()
events.init_command_line_parser.add_listener(_arguments)  # type: ignore[no-untyped-call]
events.init.add_listener(TRAFFIC.load)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(TRAFFIC.save_summary)  # type: ignore[no-untyped-call]


class ListingUser(FastHttpUser):
    """A marketplace client pricing listings in the configured mix of request kinds."""

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.rng = random.Random(f"{options.seed}-{id(self)}")
        self.think_s = options.think_ms / 1000

    def wait_time(self) -> float:
        return self.rng.uniform(0, self.think_s)

    @task
    def send(self) -> None:
        """One request of a kind drawn by the mix, judged by what a correct service answers."""
        pool = TRAFFIC.pool
        if pool is None:
            raise RuntimeError("the listing pool was not loaded (no --data?)")
        kind = self.rng.choices(TRAFFIC.kinds, weights=TRAFFIC.weights)[0]
        call = BUILDERS[kind](pool, self.rng)
        body: Any = call.body  # bytes are sent as they are; the stub says str | dict only
        with self.client.post(
            call.path, data=body, headers=call.headers, name=call.name, catch_response=True
        ) as response:
            problem = check_answer(call, response.status_code, response.content or b"")
            if problem:
                response.failure(problem)
            else:
                response.success()
