"""The MLflow side of serving: which store, which version a URI means, and that run's metrics."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

TEST_PREFIX = "test."
_ALIAS = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/@]+)/?$")
_VERSION = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)/?$")
_RUN = re.compile(r"^runs:/(?P<run_id>[0-9a-f]+)/")


@dataclass(frozen=True)
class ModelInfo:
    """A model pinned down: registry name and version, the URI that loads exactly it, its run
    and test metrics, and (once loaded) the example logged with it."""

    name: str
    version: str
    uri: str
    run_id: str | None = None
    test_metrics: dict[str, float] = field(default_factory=dict)
    example: dict[str, Any] | None = None


def alias_parts(uri: str) -> tuple[str, str] | None:
    """(name, alias) when `uri` is `models:/name@alias`, else None: only aliases can move."""
    match = _ALIAS.match(uri)
    return (match["name"], match["alias"]) if match else None


def alias_version(uri: str) -> str | None:
    """The version an alias URI points to now (None for URIs that are not aliases)."""
    parts = alias_parts(uri)
    if parts is None:
        return None
    from mlflow.tracking import MlflowClient

    return str(MlflowClient().get_model_version_by_alias(*parts).version)


def alias_resolver(tracking_uri: str | None) -> Callable[[str], str | None]:
    """`alias_version` on the store `tracking_uri` names (the one models load from)."""

    def version_of(uri: str) -> str | None:
        from models.store import configure_tracking

        configure_tracking(tracking_uri)
        return alias_version(uri)

    return version_of


def bound_http_retries(retries: int) -> None:
    """Have MLflow's HTTP client give up after `retries` retries about 1, 2, 4 s apart, unless
    MLFLOW_HTTP_REQUEST_MAX_RETRIES or its backoff is set. Its default retries a registry that is
    down for minutes, and meanwhile a reload check neither fails nor sees the registry return."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(retries))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")


def resolve(uri: str) -> ModelInfo:
    """Pin `uri` to one version, so what is loaded and what is reported are the same model.

    An alias is read once and the version it names is loaded, not the alias itself, which may
    move while the model loads.
    """
    from mlflow.tracking import MlflowClient

    alias, pinned, run = alias_parts(uri), _VERSION.match(uri), _RUN.match(uri)
    if alias is None and pinned is None and run is None:  # a folder: no store to ask
        # (a store client would create the tracking database, and Spark's Python workers
        # loading a shipped model folder at once raced to create the same one)
        return ModelInfo(uri.rstrip("/").rsplit("/", 1)[-1] or uri, "unregistered", uri, None, {})
    client = MlflowClient()
    if alias is not None:
        found = client.get_model_version_by_alias(*alias)
    elif pinned is not None:
        found = client.get_model_version(pinned["name"], pinned["version"])
    else:
        run_id = run["run_id"] if run else None
        name = uri.rstrip("/").rsplit("/", 1)[-1] or uri
        return ModelInfo(name, "unregistered", uri, run_id, _test_metrics(client, run_id))
    version = str(found.version)
    load_uri = f"models:/{found.name}/{version}"
    return ModelInfo(
        found.name, version, load_uri, found.run_id, _test_metrics(client, found.run_id)
    )


def _test_metrics(client: MlflowClient, run_id: str | None) -> dict[str, float]:
    """The run's `test.*` metrics without the prefix; none when the model has no run."""
    if not run_id:
        return {}
    metrics = client.get_run(run_id).data.metrics
    return {
        k.removeprefix(TEST_PREFIX): float(v)
        for k, v in metrics.items()
        if k.startswith(TEST_PREFIX)
    }
