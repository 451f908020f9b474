"""`python -m tests.faults.fake_server`: `appraise serve`'s server and app around a fake model.

The fault tests signal it as an orchestrator would; settings come from `APPRAISER_*` as in
`appraise serve`. The fake's forward pass takes FORWARD_DELAY_S, so requests are in flight.
"""

from __future__ import annotations

import logging

from service.api.app import create_app
from service.api.drain import Drain
from service.api.server import run
from service.api.settings import Settings
from tests.api.fakes import FakePredictor, factory_of

FORWARD_DELAY_S = 0.005


def main() -> None:
    """Serve the fake until a stop signal, draining as `appraise serve` does."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO)
    drain = Drain()
    factory = factory_of(FakePredictor(forward_delay_s=FORWARD_DELAY_S))
    run(create_app(settings, factory, lambda uri: None, drain), drain, settings)


if __name__ == "__main__":
    main()
