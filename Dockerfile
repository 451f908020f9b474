# syntax=docker/dockerfile:1
# Appraiser images. CPU runtime by default; `--build-arg VARIANT=gpu` adds the gpu extra
# (TensorFlow with its CUDA libraries; the host supplies the NVIDIA driver). One image runs
# `appraise serve` (the default), `appraise train`, `appraise data` and `mlflow server`.
# The install steps live in deploy/install.sh, which tests/deploy/test_recipe.py also runs.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Dependencies only, from pyproject.toml at the versions constraints.txt pins: code edits do not
# invalidate this layer.
FROM ${PYTHON_IMAGE} AS deps
ARG VARIANT=cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY deploy/install.sh deploy/
COPY pyproject.toml constraints.txt ./
RUN sh deploy/install.sh deps /opt/venv "${VARIANT}"

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    APPRAISER_HOST=0.0.0.0 \
    APPRAISER_PORT=8000 \
    APPRAISER_MODEL_URI=models:/appraiser@champion \
    MLFLOW_TRACKING_URI=sqlite:////data/mlflow.db
# A fixed numeric uid (USER below) lets orchestrators check runAsNonRoot; /data is its
# working folder: datasets, and the local MLflow store when no server is configured.
RUN useradd --no-log-init --create-home --uid 10001 --user-group appraiser \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# The source stays owned by root: the service user can read it, not change it.
COPY pyproject.toml README.md appraise.py ./
COPY deploy ./deploy
COPY models ./models
COPY training ./training
COPY service ./service
COPY configs ./configs
RUN sh deploy/install.sh app /opt/venv
USER 10001:10001
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]
ENTRYPOINT ["appraise"]
CMD ["serve"]
