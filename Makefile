# Two commands matter: `make demo` (set up, generate, train, register, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data
DEMO_ROWS ?= 3000
DEMO_SEED ?= 1
DEMO_PHOTO_SIZE ?= 64

# The versions every install takes: this venv, the images (deploy/install.sh) and CI.
CONSTRAINTS := constraints.txt

.PHONY: setup lint format test demo results clean lock

setup: $(STAMP)

# Re-install only when the project's dependencies or their pins change; a second `make setup`
# does nothing. The load extra is locust, for `make loadtest` and tests/loadtests.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,load,spark]'
	touch $(STAMP)

# Re-resolve constraints.txt from pyproject.toml, every extra included (so the gpu image and the
# load tests are pinned too), for the images' platform: Linux x86_64, Python 3.11. Pins that still
# fit pyproject.toml are kept; `make lock LOCK_ARGS=--upgrade` takes the newest of everything.
# Not behind `setup`, so a pyproject.toml edit the old pins cannot satisfy can still be locked.
LOCK_ARGS ?=
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command 'make lock' --quiet \
		--output-file $(CONSTRAINTS) $(LOCK_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml compose.gpu.yaml

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint browser-deps db-deps
	$(BIN)/pytest

# The train step ends with the test RMSLE beside the noise floor and the linear baseline; the
# tiers step prices one listing under a brand of each tier through the registered model.
demo: setup
	rm -rf $(DATA)/sample
	$(BIN)/appraise data synth $(DATA)/sample --rows $(DEMO_ROWS) --seed $(DEMO_SEED) \
		--photo-size $(DEMO_PHOTO_SIZE)
	$(BIN)/appraise data check $(DATA)/sample | tail -n 1
	$(BIN)/appraise train $(DATA)/sample --config configs/demo.yaml
	$(BIN)/appraise tiers
	@echo "Serving on http://127.0.0.1:8000/  (API docs: /docs; Ctrl-C stops it)"
	$(BIN)/appraise serve

# Regenerate docs/results.md: clothing 20k on one split, both Houses copies by 5-fold
# cross-validation, every contender (about an hour on the 2-core machine); the clothing set in
# Korean and Japanese too, its joint and text-only models (about 40 minutes more).
LANGUAGES := ko ja
# TensorFlow 2.21's oneDNN kernels corrupt memory ("double free") on the small Houses photo
# branch; the plain kernels are fine there (and twice as slow on the clothing model).
HOUSES ?= ../shared/datasets/houses
NO_ONEDNN := TF_ENABLE_ONEDNN_OPTS=0
results: setup
	rm -rf $(DATA)/results && mkdir -p $(DATA)/results
	$(BIN)/appraise data synth $(DATA)/results/clothing-20k --rows 20000 --seed 7
	$(BIN)/appraise train $(DATA)/results/clothing-20k --report $(DATA)/results/clothing.md \
		--quiet > $(DATA)/results/clothing-20k.json
	for lang in $(LANGUAGES); do \
		$(BIN)/appraise data synth $(DATA)/results/clothing-20k-$$lang --rows 20000 --seed 7 \
			--language $$lang && \
		$(BIN)/appraise train $(DATA)/results/clothing-20k-$$lang --no-compare --quiet \
			--model-name appraiser-$$lang > $(DATA)/results/clothing-20k-$$lang.json || exit 1; \
	done
	for set in clothing-20k $(LANGUAGES:%=clothing-20k-%); do \
		$(BIN)/appraise train $(DATA)/results/$$set --features description --no-compare \
			--quiet --model-name appraiser-text > $(DATA)/results/$$set-text.json || exit 1; \
	done
	$(BIN)/python -m training.languages_report $(DATA)/results > $(DATA)/results/languages.md
	$(BIN)/appraise data import houses $(HOUSES) $(DATA)/results/houses
	$(NO_ONEDNN) $(BIN)/appraise train $(DATA)/results/houses --config configs/houses.yaml \
		--report $(DATA)/results/houses.md
	$(BIN)/appraise data import houses $(HOUSES) $(DATA)/results/houses-zip25 \
		--min-zipcode-houses 25
	$(NO_ONEDNN) $(BIN)/appraise train $(DATA)/results/houses-zip25 --config configs/houses.yaml \
		--model-name appraiser-houses-zip25 \
		--report $(DATA)/results/houses-zip25.md
	$(BIN)/python -m training.report docs/results-header.md $(DATA)/results/clothing.md \
		$(DATA)/results/languages.md docs/results-houses.md $(DATA)/results/houses.md $(DATA)/results/houses-zip25.md \
		> docs/results.md

clean:
	rm -rf $(DATA) mlruns mlartifacts mlflow.db .pytest_cache .mypy_cache .ruff_cache

# The browser test drives Debian's chromium (never a downloaded browser); install it only when
# it is missing, so a second run does nothing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: browser-deps
browser-deps:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

# The registry test runs MLflow on a real PostgreSQL: Debian's server, started by the test itself
# as the `postgres` account on a free port. Installed only when missing.
.PHONY: db-deps
db-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ($(SUDO) apt-get update && \
		$(SUDO) apt-get install -y --no-install-recommends postgresql)

# Load test and benchmarks (issue 6), each on a freshly trained small model in its own folder
# under bench/out/ (ignored by git). See docs/benchmarks.md.
BENCH_OUT ?= bench/out
USERS ?= 32
SPAWN_RATE ?= 8
DURATION ?= 60s
BENCH_ARGS ?=
.PHONY: loadtest bench
loadtest: setup
	rm -rf $(BENCH_OUT)/loadtest
	$(BIN)/python -m bench.prepare $(BENCH_OUT)/loadtest
	$(BIN)/python -m loadtests.run $(BENCH_OUT)/loadtest --users $(USERS) \
		--spawn-rate $(SPAWN_RATE) --duration $(DURATION)

bench: setup
	rm -rf $(BENCH_OUT)/bench
	$(BIN)/python -m bench.prepare $(BENCH_OUT)/bench
	$(BIN)/python -m bench.run $(BENCH_OUT)/bench $(BENCH_ARGS)

# One forward pass through the tf.function or its concrete function, side by side, on the model
# of the last `make bench` (prepared here if there is none).
.PHONY: bench-pass
bench-pass: setup
	test -f $(BENCH_OUT)/bench/model.json || $(BIN)/python -m bench.prepare $(BENCH_OUT)/bench
	$(BIN)/python -m bench.pass_call $(BENCH_OUT)/bench

# What explanations cost (issue 22): CPU per /v1/explain against /v1/predict through the
# service, the steps of one explanation, and the size the explanation artifact adds to the model
# (thumbnails of real photos from HOUSES when it is there), on the model of the last
# `make bench-explain` (prepared here if there is none). See docs/benchmarks.md.
EXPLAIN_ARGS ?=
.PHONY: bench-explain
bench-explain: setup
	test -f $(BENCH_OUT)/explain/model.json || $(BIN)/python -m bench.prepare $(BENCH_OUT)/explain
	$(BIN)/python -m bench.explain $(BENCH_OUT)/explain --real-photos "$(HOUSES)" $(EXPLAIN_ARGS)

# Batch scoring memory (issue 5): peak RSS and rows/s of `appraise score` (local engine) on
# 10,000 and 100,000 rows, to show memory does not grow with the input. See docs/benchmarks.md.
SCORE_BENCH_OUT ?= bench/out/score-memory
SCORE_SIZES ?= 10000,100000
.PHONY: bench-score
bench-score: setup
	$(BIN)/python -m bench.score_memory $(SCORE_BENCH_OUT) --sizes $(SCORE_SIZES)

# Training as the dataset grows (issue 23): the photo store's time and disk, then peak RSS and
# examples/s of one epoch at 50,000 and 200,000 synthetic rows (generated once, ~15 minutes for
# 200k; the whole run about an hour on the 2-core machine). See docs/benchmarks.md.
SCALE_SIZES ?= 50000,200000
.PHONY: bench-train-scale
bench-train-scale: setup
	$(BIN)/python -m bench.train_scale $(BENCH_OUT)/train-scale --sizes $(SCALE_SIZES)

# Comparable sold listings (issue 22): k-nearest search at 20k and 1M listings, exact NumPy
# against faiss (exact and HNSW) and the rivals installed here first, side by side; about 10
# minutes on the 2-core machine. hnswlib builds from source (no wheel): add it to
# COMPARABLES_RIVALS to measure it too.
COMPARABLES_RIVALS ?= usearch>=2.26,<3
COMPARABLES_ARGS ?=
.PHONY: bench-comparables
bench-comparables: setup
	$(BIN)/python -m pip install --quiet $(foreach r,$(COMPARABLES_RIVALS),'$(r)')
	$(BIN)/python -m bench.comparables $(BENCH_OUT)/comparables $(COMPARABLES_ARGS)

# This checkout's service against BASE's (default main), in alternating rounds on one model:
# the way to compare two designs on a machine whose speed moves (docs/benchmarks.md).
BASE ?= main
ROUNDS ?= 3
.PHONY: bench-ab
bench-ab: setup
	$(BIN)/python -m bench.side_by_side $(BENCH_OUT)/ab --base $(BASE) --rounds $(ROUNDS)

# Fuzz the API against its OpenAPI document (issue 21): the contract test `make test` runs with a
# few examples per operation, here with FUZZ_EXAMPLES and a fresh seed (`make fuzz FUZZ_SEED=...`
# replays a run). See tests/api/test_contract.py.
FUZZ_EXAMPLES ?= 1000
FUZZ_SEED ?= $(shell date +%s)
# Expanded once, so the seed shown is the seed used.
FUZZ_SEED := $(FUZZ_SEED)
.PHONY: fuzz
fuzz: setup
	@echo "Fuzzing with FUZZ_SEED=$(FUZZ_SEED), $(FUZZ_EXAMPLES) examples per operation"
	APPRAISER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) APPRAISER_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/pytest tests/api/test_contract.py -q
