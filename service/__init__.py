"""Serving a logged model: the inference core (`inference/`), the HTTP service over it (`api/`)
and batch scoring (`scoring/`)."""
