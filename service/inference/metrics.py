"""Prometheus metrics of one app, in its own registry so several apps (tests) never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
FORWARD_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


class ServiceMetrics:
    """Every metric the service exports; `/metrics` renders `registry`."""

    def __init__(self, batch_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_seconds = Histogram(
            "appraiser_request_duration_seconds",
            "HTTP request latency by route template, method and status code.",
            ("route", "method", "status"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "appraiser_batch_size",
            "Listings scored per forward pass.",
            buckets=tuple(float(b) for b in batch_sizes),
            registry=r,
        )
        self.forward_seconds = Histogram(
            "appraiser_forward_seconds",
            "Duration of one forward pass.",
            buckets=FORWARD_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "appraiser_queue_depth", "Listings waiting for a forward pass.", registry=r
        )
        self.model_info = Gauge(
            "appraiser_model_info",
            "The model being served (value 1).",
            ("name", "version", "device"),
            registry=r,
        )
        self.ready = Gauge("appraiser_ready", "1 when a model is loaded and warm.", registry=r)
        self.reloads = Counter(
            "appraiser_model_reloads",
            "Model loads, and registry look-ups that failed, by outcome (success or failure).",
            ("outcome",),
            registry=r,
        )

    def serving(self, name: str, version: str, device: str) -> None:
        """Record which model now answers requests."""
        self.model_info.clear()
        self.model_info.labels(name, version, device).set(1)
        self.ready.set(1)
