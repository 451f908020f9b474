"""`python -m tests.faults.fake_server`: `appraise serve`'s server and app around a fake model.

The fault tests signal it as an orchestrator would; settings come from `APPRAISER_*` as in
`appraise serve`. The fake's forward pass takes FAKE_FORWARD_DELAY_S seconds (default 0.005), so
requests are in flight, and prices at most FAKE_MAX_BATCH listings (default 32), so they can queue.
"""

from __future__ import annotations

import logging
import os

from service.api.app import create_app
from service.api.drain import Drain
from service.api.server import run
from service.api.settings import Settings
from tests.api.fakes import FakePredictor, factory_of


def main() -> None:
    """Serve the fake until a stop signal, draining as `appraise serve` does."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO)
    drain = Drain()
    delay_s = float(os.environ.get("FAKE_FORWARD_DELAY_S", "0.005"))
    most = int(os.environ.get("FAKE_MAX_BATCH", "32"))
    sizes = tuple(2**i for i in range(most.bit_length()) if 2**i <= most)
    factory = factory_of(FakePredictor(forward_delay_s=delay_s, batch_sizes=sizes))
    run(create_app(settings, factory, lambda uri: None, drain), drain, settings)


if __name__ == "__main__":
    main()
