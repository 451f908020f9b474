"""Real HTTP load for fault tests: keep-alive clients in threads, and a load balancer's probe."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

LISTING = {"brand": "Nordvik", "year": 2015, "description": "wool coat"}


def ready(port: int) -> bool:
    """Whether the service on `port` answers /readyz with 200."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/readyz")
        status = connection.getresponse().status
        connection.close()
    except OSError:
        return False
    return status == 200


def post_once(port: int) -> int:
    """Post one listing on a connection of its own; the status (an error if none came)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/v1/predict", body=json.dumps(LISTING),
                           headers={"Content-Type": "application/json"})  # fmt: skip
        return connection.getresponse().status
    finally:
        connection.close()


def metrics_text(port: int) -> str:
    """The service's /metrics page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/metrics")
        return connection.getresponse().read().decode()
    finally:
        connection.close()


@dataclass(frozen=True)
class Answer:
    """One answered request: its status, the model version that priced it, its Connection header."""

    status: int
    version: str | None
    connection: str | None


class Clients:
    """`n` clients, each posting a listing in a loop over its own keep-alive connection while
    `routing` is set (and until the context ends); every answer and every failure is recorded."""

    def __init__(self, port: int, n: int, routing: threading.Event | None = None) -> None:
        self.port = port
        self.routing = routing or threading.Event()
        if routing is None:
            self.routing.set()
        self.answers: list[Answer] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]

    def __enter__(self) -> Clients:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self.join()

    def join(self, timeout_s: float = 60) -> None:
        """Wait for every client to stop (they stop once routing is off)."""
        for thread in self._threads:
            thread.join(timeout_s)
        assert not any(t.is_alive() for t in self._threads), "a client is still waiting"

    def _run(self) -> None:
        body = json.dumps(LISTING)
        headers = {"Content-Type": "application/json"}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while self.routing.is_set() and not self._stop.is_set():
            try:
                connection.request("POST", "/v1/predict", body=body, headers=headers)
                response = connection.getresponse()
                payload: dict[str, Any] = json.loads(response.read() or b"{}")
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(repr(exc))
                connection.close()
                continue
            version = payload.get("model", {}).get("version")
            self.answers.append(Answer(response.status, version, response.getheader("connection")))
        connection.close()


class Balancer:
    """A load balancer's readiness probe: every `every_s`, GET /readyz; the first answer that is
    not 200 (or no answer) takes the instance out of `routing`."""

    def __init__(self, port: int, routing: threading.Event, every_s: float = 0.02) -> None:
        self.port, self.routing, self.every_s = port, routing, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Balancer:
        self.routing.set()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            if not ready(self.port):
                self.routing.clear()
                return
