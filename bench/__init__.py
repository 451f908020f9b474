"""Benchmarks: the service against the hardware limit, mlflow serve and the tutorial way."""
