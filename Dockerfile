# syntax=docker/dockerfile:1
# Appraiser images: CPU runtime by default; `--build-arg VARIANT=gpu` installs the gpu extra.
# Dependencies are installed before the source is copied, so code edits keep that layer.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ARG VARIANT=cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
# An empty package skeleton lets pip resolve and install only the dependencies here.
RUN mkdir -p models training service \
    && touch models/__init__.py training/__init__.py service/__init__.py appraise.py \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && if [ "$VARIANT" = "gpu" ]; then EXTRA="[gpu]"; else EXTRA=""; fi \
    && /opt/venv/bin/pip install ".${EXTRA}" \
    && /opt/venv/bin/pip uninstall -y appraiser

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    APPRAISER_HOST=0.0.0.0 \
    APPRAISER_PORT=8000 \
    APPRAISER_MODEL_URI=models:/appraiser@champion \
    MLFLOW_TRACKING_URI=sqlite:////data/mlflow.db
RUN useradd --create-home --uid 10001 appraiser && mkdir /data && chown appraiser /data
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY --chown=appraiser pyproject.toml README.md appraise.py ./
COPY --chown=appraiser models ./models
COPY --chown=appraiser training ./training
COPY --chown=appraiser service ./service
COPY --chown=appraiser configs ./configs
RUN pip install --no-deps .
USER appraiser
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
ENTRYPOINT ["appraise"]
CMD ["serve"]
