# Two entry points matter: `make serve` (the service on the embedded default) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test bench setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/regiekaart serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Each benchmark is a module tests/benchmarks/<name>.py whose main() prints a markdown table.
BENCHMARKS := event_store api

bench: $(STAMP)
	@set -e; for name in $(BENCHMARKS); do \
		echo "## $$name"; $(BIN)/python -m tests.benchmarks.$$name; echo; \
	done

clean:
	rm -rf $(VENV) .regiekaart build *.egg-info
