"""The inference core: load a logged model, prepare listings, run compiled forward passes on
micro-batches, and swap in new versions. Imports `models/` only; the HTTP service and batch
scoring both stand on it."""
