# Two entry points matter: `make serve` (the service on the embedded default) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every dependency, direct and transitive, pinned with its hashes; `make lock` renews it from pyproject.toml.
LOCK   := requirements.lock

.PHONY: serve test check lint format lock bench setup clean

$(STAMP): pyproject.toml clients/python/pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	# the region systems' Python client, which its tests import as a region system would
	$(BIN)/pip install --quiet --no-deps -e clients/python
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/regiekaart serve

# Test worker processes (pytest-xdist): more than the 2 cores of CI, as many tests wait on the processes
# they start (nats-server, granian, PostgreSQL, Chromium) rather than compute. A test file stays on one
# worker (loadfile), so the services its module fixtures start are started once.
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist loadfile

# The whole suite (crash, failover, soak, fault-injection and conformance tests included), in random
# order: the seed is printed at the start, and `pytest -p randomly --randomly-seed=<n>` repeats an order
# (`-n 0` in one process).
test: lint
	$(BIN)/python -m pytest -q $(XDIST)

# Lint plus the fast tests: what to run before every commit (under two minutes on 2 cores).
check: lint
	$(BIN)/python -m pytest -q $(XDIST) -m "not slow" tests/unit tests/integration/api \
		tests/integration/sql

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock:
	uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--output-file $(LOCK) --no-header
	@echo "wrote $(LOCK); uv comes from 'pip install uv'"

# Each benchmark is a module tests/benchmarks/<name>.py whose main() prints a markdown table
# (at its default sizes: minutes each); tests/benchmarks/test_smoke.py runs each small in `make test`.
BENCHMARKS := event_store projections api feeds audit

bench: $(STAMP)
	@set -e; for name in $(BENCHMARKS); do \
		echo "## $$name"; $(BIN)/python -m tests.benchmarks.$$name; echo; \
	done

clean:
	rm -rf $(VENV) .regiekaart build *.egg-info
