"""Batch scoring's settings from the environment (`APPRAISER_*`): the inference core's only.

Passes run at the largest batch with nothing else on the cores, where TensorFlow's own thread
counts are fastest (docs/benchmarks.md, "Batch scoring"): they stay TensorFlow's unless
APPRAISER_INTRA_OP_THREADS / APPRAISER_INTER_OP_THREADS set them.
"""

from __future__ import annotations

from service.inference.settings import RuntimeSettings


class ScoringSettings(RuntimeSettings):
    """What `appraise score` reads from its environment: store, batch shapes, threads, device."""
