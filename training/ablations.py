"""Each kind of branch trained alone, on a thread beside the joint model, and late fusion.

One fit leaves part of the two cores idle (Python between steps, small ops); two side by side
fill it, so the run ends sooner. The models are built on the caller's thread, each from the
config's seed, so they train to the same weights as they would one after another.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import keras
import numpy as np

from models.architecture import build_model
from models.predictions import median_index, quantiles_to_prices
from models.schema import Schema
from training.compare import Comparison, Score, late_fusion, modality_schemas
from training.config import TrainConfig
from training.metrics import price_metrics
from training.prepare import Splits
from training.trainer import fit, predict_quantiles


@dataclass(frozen=True)
class Ablation:
    """One single-branch model and the cut of the schema it reads."""

    name: str
    schema: Schema
    model: keras.Model


class _StopWhen(keras.callbacks.Callback):
    """Ends a fit after the current batch once `event` is set (the joint model's fit failed)."""

    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self.event = event

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        if self.event.is_set():
            self.model.stop_training = True


class Ablations:
    """`with Ablations(...) as ablations:` trains them meanwhile; `.comparison()` waits."""

    def __init__(
        self, schema: Schema, splits: Splits, config: TrainConfig, progress: bool = False
    ) -> None:
        self.splits, self.progress = splits, progress
        epochs = config.ablation_epochs or config.epochs
        self.config = config.model_copy(update={"epochs": epochs})
        self.models: list[Ablation] = []
        for name, sub in modality_schemas(schema).items():
            keras.utils.set_random_seed(config.seed)
            model = build_model(sub, config.model, splits.train.frame, seed=config.seed)
            self.models.append(Ablation(name, sub, model))
        self.calibration: dict[str, np.ndarray] = {}  # raw quantiles on the calibration rows
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ablations")
        self._future: Future[Comparison] | None = None

    def __enter__(self) -> Ablations:
        self._future = self._pool.submit(self._train_all)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._stop.set()
        self._pool.shutdown(wait=True)

    def comparison(self) -> Comparison:
        """The ablations' and late fusion's test scores, once all are trained."""
        if self._future is None:
            raise RuntimeError("Ablations.comparison() needs `with Ablations(...)` first")
        return self._future.result()

    def _train_all(self) -> Comparison:
        comparison = Comparison()
        val_logs: dict[str, np.ndarray] = {}
        test_logs: dict[str, np.ndarray] = {}
        splits, stop = self.splits, _StopWhen(self._stop)
        y_test = splits.test.frame[self.models[0].schema.target].to_numpy(dtype="float64")
        for each in self.models:
            if self._stop.is_set():
                break
            start = time.perf_counter()
            fit(each.model, splits.train, splits.val, each.schema, self.config, 0, callbacks=[stop])
            name, m = f"{each.name} only", median_index(each.model)
            test = comparison.quantiles[name] = predict_quantiles(
                each.model, splits.test, each.schema
            )
            val_logs[each.name] = predict_quantiles(each.model, splits.val, each.schema)[:, m]
            test_logs[each.name] = test[:, m]
            if splits.calibration is not None:
                cal = predict_quantiles(each.model, splits.calibration, each.schema)
                self.calibration[name] = cal
            prices = quantiles_to_prices(test, m)
            comparison.scores.append(Score(name, "ablation", price_metrics(y_test, *prices.T)))
            if self.progress:
                minutes = (time.perf_counter() - start) / 60
                sys.stderr.write(f"{each.name} only: trained in {minutes:.1f} min\n")
        if len(val_logs) > 1:
            val_target = splits.val.log_price(self.models[0].schema)
            scores, comparison.fusion_weights = late_fusion(val_logs, test_logs, val_target, y_test)
            comparison.scores.extend(scores)
        return comparison
