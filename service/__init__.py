"""The inference service: settings, predictor, micro-batcher, HTTP app and routes, demo page."""
