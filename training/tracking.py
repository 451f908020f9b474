"""MLflow: where runs go, how the model is logged, and when the champion alias moves."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import keras
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.tracking import MlflowClient
from mlflow.types.schema import AnyType, ColSpec, DataType, ParamSchema, ParamSpec
from mlflow.types.schema import Schema as ColumnSchema

import models
from models.explainer import DEFAULT_COMPARABLES
from models.pyfunc import EXPLANATION_ARTIFACT, KERAS_ARTIFACT, SCHEMA_ARTIFACT
from models.schema import FeatureType, Schema

LOGGED_MODEL_CODE = Path(models.__file__).with_name("logged_model.py")  # MLflow models from code
CHAMPION = "champion"
FINGERPRINT = "data.fingerprint"  # run param: hash of the schema and the usable rows
PROTOCOL = "evaluation"  # run tag: holdout, or k-fold cross-validation
LOCAL_ARTIFACTS = "mlartifacts"
# The distributions the logged model imports (models/ and what it imports; tests check the list).
# Given, not inferred: MLflow's inference loads the model in a new Python at every run, and its
# guess left out tensorflow, pillow, pyarrow and faiss-cpu.
MODEL_DISTRIBUTIONS = (
    "appraiser",
    "mlflow",
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "scipy",
    "pillow",
    "pyarrow",
    "faiss-cpu",
    "pydantic",
    "pyyaml",
    "tqdm",
)
_COLUMN_TYPES = {
    FeatureType.CATEGORY: DataType.string,
    FeatureType.TEXT: DataType.string,
    FeatureType.INTEGER: DataType.long,
    FeatureType.NUMBER: DataType.double,
}


def experiment_id(name: str) -> str:
    """The experiment's id, creating it (artifacts in ./mlartifacts for a local store)."""
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if mlflow.get_tracking_uri().startswith("sqlite:"):
        location = (Path.cwd() / LOCAL_ARTIFACTS).resolve().as_uri()
    return str(mlflow.create_experiment(name, artifact_location=location))


def signature(schema: Schema) -> ModelSignature:
    """Input columns from the schema (photos as bytes, base64 text or a path); prices out."""
    inputs = [
        ColSpec(
            AnyType() if f.type == FeatureType.IMAGE else _COLUMN_TYPES[f.type],
            f.name,
            required=f.is_required,
        )
        for f in schema.features
    ]
    outputs = [ColSpec(DataType.double, n) for n in ("price", "price_low", "price_high")]
    outputs.append(ColSpec(DataType.string, "error"))
    # photo_root: the folder relative photo paths are read from (default: working directory);
    # explain: add each feature's contribution and the ids of `comparables` nearest listings
    params = ParamSchema(
        [
            ParamSpec("photo_root", DataType.string, ""),
            ParamSpec("explain", DataType.boolean, False),
            ParamSpec("comparables", DataType.long, DEFAULT_COMPARABLES),
        ]
    )
    return ModelSignature(ColumnSchema(inputs), ColumnSchema(outputs), params)


def model_requirements() -> list[str]:
    """`MODEL_DISTRIBUTIONS` pinned to the versions installed here, which trained the model; one
    that is not installed (this project run from its source without `pip install`) is left out."""
    pins = []
    for name in MODEL_DISTRIBUTIONS:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def log_model(
    model: keras.Model, schema: Schema, example: pd.DataFrame, name: str, explanation: Path
) -> ModelInfo:
    """Log the pyfunc model (Keras model, schema, the `explanation` folder) in the active run
    and register it."""
    with tempfile.TemporaryDirectory() as tmp:
        keras_path = Path(tmp) / "model.keras"
        schema_path = Path(tmp) / "schema.yaml"
        model.save(keras_path)
        schema_path.write_text(schema.to_yaml(), encoding="utf-8")
        artifacts = {
            KERAS_ARTIFACT: str(keras_path),
            SCHEMA_ARTIFACT: str(schema_path),
            EXPLANATION_ARTIFACT: str(explanation),
        }
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=LOGGED_MODEL_CODE,
            artifacts=artifacts,
            signature=signature(schema),
            input_example=example,
            pip_requirements=model_requirements(),
            registered_model_name=name,
        )


def champion_version(name: str) -> str | None:
    """The registered version the champion alias points to, if any."""
    try:
        return str(MlflowClient().get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


def recorded_score(model_uri: str, fingerprint: str, protocol: str) -> float | None:
    """A model's logged test RMSLE, if its run judged it the same way on the same data."""
    client = MlflowClient()
    _, name, version = model_uri.split("/", 2)
    run_id = client.get_model_version(name, version).run_id
    if not run_id:
        return None
    run = client.get_run(run_id)
    same = (
        run.data.params.get(FINGERPRINT) == fingerprint and run.data.tags.get(PROTOCOL) == protocol
    )
    value = run.data.metrics.get("test.rmsle")
    return float(value) if same and value is not None else None


def promote_if_better(
    name: str, version: str, rmsle: float, score_champion: Callable[[str], float | None]
) -> tuple[bool, str]:
    """Move the alias to `version` only if it beats the champion on the same test data.

    `score_champion(uri)` gives the current champion's test RMSLE on this run's test rows (or
    its recorded cross-validated figure on the same data), or None when no fair comparison
    exists (another schema, other data): then the alias stays where it is. A model whose figure
    is not a finite number never becomes champion.
    """
    if not math.isfinite(rmsle):
        return False, f"test RMSLE is {rmsle}; version {version} cannot become champion"
    current = champion_version(name)
    if current is None:
        reason = f"no champion yet; version {version} (test RMSLE {rmsle:.4f}) becomes champion"
    else:
        theirs = score_champion(f"models:/{name}/{current}")
        if theirs is None:
            return False, (
                f"champion v{current} was judged on other data, by another protocol or with "
                "another schema; alias not moved"
            )
        if rmsle >= theirs:
            return False, (
                f"test RMSLE {rmsle:.4f} does not beat champion v{current} ({theirs:.4f}) "
                "on the same test data; alias not moved"
            )
        reason = (
            f"test RMSLE {rmsle:.4f} beats champion v{current} ({theirs:.4f}) on the same test data"
        )
    MlflowClient().set_registered_model_alias(name, CHAMPION, version)
    return True, reason
