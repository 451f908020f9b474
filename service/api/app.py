"""The app factory: routes, middleware, error handlers, and a lifespan that loads the model.

The model loads in the background, so /healthz answers at once and /readyz says 503 until the
model is warm. Nothing happens at import time; tests build as many apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.api.drain import Drain, DrainMiddleware
from service.api.errors import install_error_handlers
from service.api.middleware import BodyLimitMiddleware, LatencyMiddleware
from service.api.openapi import install_openapi
from service.api.routes import demo, explain, health, metrics, model, operations, predict
from service.api.security import ApiKeyCheck
from service.api.settings import Settings, get_settings
from service.inference.metrics import ServiceMetrics
from service.inference.registry import bound_http_retries
from service.inference.reload import AliasWatcher, VersionResolver
from service.inference.slot import ModelSlot, PredictorFactory

DESCRIPTION = (
    "Price a second-hand listing from everything it has at once (its fields and its photo), "
    "with an 80% price range. The request fields below are the served model's own schema."
)


def create_app(
    settings: Settings | None = None,
    predictor_factory: PredictorFactory | None = None,
    version_resolver: VersionResolver | None = None,
    drain: Drain | None = None,
) -> FastAPI:
    """A ready-to-run app; pass a fake `predictor_factory` (and resolver) to test without MLflow,
    and the `drain` its server starts on a stop signal (service.api.server)."""
    settings = settings or get_settings()
    drain = drain or Drain()
    if predictor_factory is None or version_resolver is None:
        from service.inference.loading import load_predictor
        from service.inference.registry import alias_resolver

        predictor_factory = predictor_factory or load_predictor
        version_resolver = version_resolver or alias_resolver(settings.tracking_uri)
    service_metrics = ServiceMetrics(settings.batch_sizes)
    slot = ModelSlot(settings, predictor_factory, service_metrics)
    lifespan = _lifespan(settings, slot, service_metrics, version_resolver, drain)
    app = FastAPI(title="Appraiser", version="1", description=DESCRIPTION, lifespan=lifespan)
    key_check = ApiKeyCheck(settings.api_key)
    listing_operations = (*predict.OPERATIONS, *explain.OPERATIONS)
    operations.install(app, key_check, listing_operations)
    app.include_router(
        model.router, dependencies=key_check.dependencies, responses=key_check.responses
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(demo.router)
    app.mount("/static", StaticFiles(directory=demo.STATIC), name="static")
    install_error_handlers(app)
    documented = operations.documented(key_check, listing_operations)
    install_openapi(app, slot, settings.max_batch_listings, documented)
    # Each add_middleware wraps the ones before it: the latency histogram sees every answer.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(DrainMiddleware, drain=drain)
    app.add_middleware(LatencyMiddleware, metrics=service_metrics)  # outermost: sees every 413
    return app


def _lifespan(
    settings: Settings,
    slot: ModelSlot,
    metrics: ServiceMetrics,
    resolver: VersionResolver,
    drain: Drain,
) -> Any:
    """Start loading the model (then watching its alias) in the background; drain on stop."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        bound_http_retries(settings.registry_retries)
        watcher = AliasWatcher(slot, settings.model_uri, settings.reload_interval_s, resolver)

        task = asyncio.get_running_loop().create_task(watcher.run(), name="model-supervisor")

        async def stop() -> None:
            task.cancel()  # no reload starts while stopping
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await slot.close(settings.drain_timeout_s)

        drain.on_stop(stop)  # under DrainingServer: as soon as connections stop being taken
        try:
            yield {"settings": settings, "slot": slot, "metrics": metrics, "drain": drain}
        finally:
            await stop()

    return lifespan
