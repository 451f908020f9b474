"""The smallest training config that still builds every branch: trains in seconds."""

from __future__ import annotations

from typing import Any

from training.config import TrainConfig


def tiny_config(**changes: Any) -> TrainConfig:
    """A two-epoch config on 16 px photos, judged on one split; `changes` override top-level
    fields (`cv_below_rows` above the row count turns the cross-validation on)."""
    return TrainConfig.model_validate(
        {
            "epochs": 2,
            "batch_size": 16,
            "cv_below_rows": 0,
            "model": {
                "photo": {"image_size": 16, "stem_filters": 4, "block_filters": [8]},
                "text": {"filters": [8], "embedding_dim": 8},
                "tabular": {"units": [8]},
                "head_units": [16],
            },
            **changes,
        }
    )
