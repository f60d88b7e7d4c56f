# Two commands set up a fresh machine (Debian, Python 3.11+):
#   make run    create .venv, install, ingest corpus_data/ into index/, serve on http://127.0.0.1:8000
#   make test   create .venv, install with test tools (and Chromium for browser tests), run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test ingest serve lint bench chromium sphinxsearch cluster cluster-down clean

$(BIN)/corpus: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,cluster]'
	touch $(BIN)/corpus

run: $(BIN)/corpus
	$(BIN)/corpus ingest corpus_data || [ $$? -eq 3 ]
	$(BIN)/corpus serve

ingest: $(BIN)/corpus
	$(BIN)/corpus ingest corpus_data || [ $$? -eq 3 ]

serve: $(BIN)/corpus
	$(BIN)/corpus serve

# Browser tests drive Debian's Chromium; nothing is downloaded by Playwright.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# axe-core for the browser tests' accessibility checks, pinned by tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

# The sphinxql engine's contract tests start real searchd daemons (Debian's sphinxsearch 2.2.11);
# the package's own service stays off (START=no in /etc/default/sphinxsearch).
sphinxsearch:
	@command -v searchd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sphinxsearch >/dev/null; }

# A local cluster on loopback from tools/cluster.toml: the shard daemons and the front (Debian's
# sphinxsearch, installed when missing), and a Dask scheduler with two workers when .venv/bin/dask
# exists (the [cluster] extra). Prints export lines: eval "$$(make -s cluster)" configures a shell.
# State (configs, data, pid files) in index/cluster; cluster-down stops exactly what it started.
CLUSTER_CONFIG ?= tools/cluster.toml
CLUSTER_STATE ?= index/cluster
CLUSTER_ARGS ?=
cluster: $(BIN)/corpus sphinxsearch
	@$(BIN)/python tools/cluster.py up --config $(CLUSTER_CONFIG) --state $(CLUSTER_STATE) $(CLUSTER_ARGS)

cluster-down:
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) tools/cluster.py down --state $(CLUSTER_STATE)

test: $(BIN)/corpus chromium sphinxsearch $(AXE)
	$(BIN)/python -m pytest

lint: $(BIN)/corpus
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/mypy

# Benchmarks (never part of `make test`): the peer's packages, wrk from Debian, then every step.
# BENCH_ARGS passes flags, e.g. `make bench BENCH_ARGS="--quick"` or `BENCH_ARGS="--only search,peer"`.
$(VENV)/.bench: $(BIN)/corpus pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
		|| echo "wrk could not be installed: the load step falls back to its Python load generator"
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) index/current index/builds index/*.json index/ingest.lock
