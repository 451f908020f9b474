"""One router per concern: predictions, model details, health, metrics and the demo page."""
