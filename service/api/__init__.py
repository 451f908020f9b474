"""The HTTP service: app factory, routes, request bodies, errors, security, settings, OpenAPI and
the demo page, over the inference core."""
