"""Running the app under uvicorn with a drain before the stop (service.api.drain)."""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import socket
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

from service.api.drain import Drain
from service.api.settings import Settings

log = logging.getLogger(__name__)
BACKSTOP_S = 5


class DrainingServer(uvicorn.Server):
    """uvicorn's server, where SIGTERM (what orchestrators send) starts a drain of `grace_s`
    seconds before uvicorn's own graceful shutdown. Ctrl-C (SIGINT), or a second signal, skips
    the grace: a person at a terminal has no load balancer to wait for."""

    def __init__(self, config: uvicorn.Config, drain: Drain, grace_s: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.grace_s = grace_s
        self.timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """uvicorn's signal handler (a public method of `uvicorn.Server`), delayed by the grace."""
        if self.drain.active or self.grace_s <= 0 or sig != signal.SIGTERM:
            if self.timer is not None:
                self.timer.cancel()
            super().handle_exit(sig, frame)
            return
        self.drain.begin()
        log.info("%s: /readyz now answers 503; stopping in %.1f s", signal.Signals(sig).name,
                 self.grace_s)  # fmt: skip
        self.timer = threading.Timer(self.grace_s, super().handle_exit, (sig, frame))
        self.timer.daemon = True
        self.timer.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown (a public method of `uvicorn.Server`) with the app's own stop
        beside it: the app answers what it still holds (503 for listings still queued) within
        its drain timeout, before uvicorn's later timeout cancels requests unanswered."""
        stopping = asyncio.ensure_future(self.drain.stop())
        try:
            await super().shutdown(sockets)
        finally:
            await stopping


def run(app: FastAPI, drain: Drain, settings: Settings) -> None:
    """Serve `app` until a stop signal, then drain: grace period, then requests in flight finish
    within `drain_timeout_s`."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        # httptools parses HTTP in C: less event-loop CPU per request than h11, the
        # pure-Python default; uvloop kept fewer cores busy and answered less (docs/benchmarks.md).
        http="httptools",
        loop="asyncio",
        # A backstop only: the app's stop answers every request within drain_timeout_s, and
        # then at most a forward pass already running is still waited for.
        timeout_graceful_shutdown=math.ceil(settings.drain_timeout_s) + BACKSTOP_S,
    )
    DrainingServer(config, drain, settings.drain_grace_s).run()
