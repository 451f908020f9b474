"""Load a logged Appraiser model from MLflow into a Predictor, on the device settings ask for."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import tensorflow as tf
from mlflow.exceptions import MlflowException
from mlflow.models import Model

from models.explainer import Explainer, NotExplainableError
from models.pyfunc import AppraiserModel
from models.schema import FeatureType, Schema
from models.store import configure_tracking
from service.inference.predictor import Predictor
from service.inference.registry import resolve
from service.inference.settings import RuntimeSettings

log = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """The URI does not lead to a usable Appraiser model; the message says why."""


def configure_runtime(settings: RuntimeSettings) -> None:
    """Apply the TensorFlow thread counts; only possible before TensorFlow first runs an op."""
    threading = tf.config.threading
    wanted = (settings.intra_op_threads, settings.inter_op_threads)
    current = (
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    )
    if wanted == current:
        return
    try:
        threading.set_intra_op_parallelism_threads(wanted[0])
        threading.set_inter_op_parallelism_threads(wanted[1])
    except RuntimeError:
        log.warning("TensorFlow is already running; thread counts stay at %s", current)


def pick_device(choice: str) -> str:
    """The first GPU when TensorFlow sees one (unless `choice` is cpu), else the CPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if choice == "gpu" and not gpus:
        raise ModelLoadError("APPRAISER_DEVICE=gpu, but TensorFlow sees no GPU")
    return "/GPU:0" if gpus and choice != "cpu" else "/CPU:0"


def load_predictor(uri: str, settings: RuntimeSettings) -> Predictor:
    """Resolve `uri` to one version, load it and wrap it in a (not yet warmed) Predictor."""
    configure_tracking(settings.tracking_uri)
    configure_runtime(settings)
    device = pick_device(settings.device)
    try:
        found = resolve(uri)
        # Variables are placed when the model loads: load it on the device that will run it.
        with tempfile.TemporaryDirectory(prefix="appraiser-model-") as tmp, tf.device(device):
            local = mlflow.artifacts.download_artifacts(found.uri, dst_path=tmp)
            wrapper = mlflow.pyfunc.load_model(local).unwrap_python_model()
            example = _input_example(Path(local), getattr(wrapper, "schema", None))
            explainer = _explainer(wrapper)  # read before the download folder goes
    except (MlflowException, OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load {uri}: {exc}") from exc
    if not isinstance(wrapper, AppraiserModel):
        raise ModelLoadError(f"{uri} is a {type(wrapper).__name__}, not an Appraiser model")
    info = dataclasses.replace(found, example=example)
    return Predictor(
        wrapper.keras_model, wrapper.schema, info, settings.batch_sizes, device, explainer
    )


def _explainer(wrapper: Any) -> Explainer | None:
    """The model's explainer; None (logged) for a model trained before explanations."""
    if not isinstance(wrapper, AppraiserModel):
        return None
    try:
        return wrapper.explainer
    except NotExplainableError as exc:
        log.warning("%s", exc)
        return None


def _input_example(folder: Path, schema: Schema | None) -> dict[str, Any] | None:
    """The first row of the example logged with the model, for docs and the demo page."""
    if schema is None:
        return None
    try:
        frame = Model.load(folder).load_input_example(str(folder))
    except (MlflowException, OSError, ValueError) as exc:
        log.warning("model has no readable input example: %s", exc)
        return None
    if frame is None or not hasattr(frame, "to_dict") or len(frame) == 0:
        return None
    row = frame.iloc[0].to_dict()
    names = {f.name for f in schema.features}
    example = {k: _plain(v) for k, v in row.items() if k in names}
    for feature in schema.of_type(FeatureType.IMAGE):
        example.setdefault(feature.name, None)
    return example


def _plain(value: Any) -> Any:
    """NumPy scalars → Python values, so the example is JSON."""
    return value.item() if hasattr(value, "item") else value
