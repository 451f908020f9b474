"""Batch scoring: `appraise score` on one machine (local engine) or through Spark."""
