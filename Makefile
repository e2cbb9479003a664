# Price Runner: `make run` serves on 127.0.0.1:3001, `make test` runs the tests. Both set up .venv first
# (the pinned requirements, then the price-runner command: .venv/bin/price-runner).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Encodings: tiktoken's own cache, filled from the offline copies beside the repo or, failing
# that, downloaded once here (never while serving); left alone once it holds them. Without
# either, the service still starts and labels its counts as estimates. It reads TIKTOKEN_CACHE_DIR.
SHARED_TIKTOKEN ?= ../shared/data/tiktoken
export TIKTOKEN_CACHE_DIR ?= $(CURDIR)/.tiktoken_cache

.PHONY: run test bench bench-anchors encodings clean

# Checked before the venv is built: an older Python fails later, in a way that names nothing.
NEEDS_PYTHON := import sys; sys.exit(sys.version_info < (3, 11))

$(BIN)/.runtime: requirements.txt
	@$(PYTHON) -c '$(NEEDS_PYTHON)' 2>/dev/null || { echo "price-runner needs Python 3.11 or newer;" \
	    "'$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing). Try: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@echo "price-runner: installing the pinned requirements into $(VENV) (a minute or two the first time)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	touch $@

# The price-runner command (pyproject.toml), on top of the pinned requirements and without touching them.
$(BIN)/.installed: $(BIN)/.runtime pyproject.toml
	@echo "price-runner: installing the price-runner command into $(VENV)"
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(BIN)/.dev: $(BIN)/.installed requirements-dev.txt
	@echo "price-runner: installing the test requirements into $(VENV)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements-dev.txt
	touch $@

encodings: $(BIN)/.runtime
	@$(BIN)/python scripts/tiktoken_cache.py --from $(SHARED_TIKTOKEN) --download --to $(TIKTOKEN_CACHE_DIR) --optional

# make run serves this machine only unless HOST says otherwise (price-runner serve's default;
# gunicorn.conf.py's own, for direct deployments, is 0.0.0.0; Docker and Kubernetes set HOST).
run: encodings $(BIN)/.installed
	$(BIN)/price-runner db upgrade
	exec $(BIN)/price-runner serve

test: $(BIN)/.dev encodings
	$(BIN)/python -m pytest

bench: $(BIN)/.dev encodings
	$(BIN)/python bench/run_all.py

# LiteLLM's proxy, the gateway we are measured against, in a venv of its own (never .venv):
# every package pinned and hashed (bench/anchors-requirements.txt, from pip-compile
# --generate-hashes), since some litellm releases were compromised.
# The venv's bundled pip may be too old for the hashed file, so a pinned, hashed pip goes in first.
ANCHORS_VENV := bench/.anchors-venv

$(ANCHORS_VENV)/.installed: bench/anchors-requirements.txt bench/anchors-pip.txt
	rm -rf $(ANCHORS_VENV)
	$(PYTHON) -m venv $(ANCHORS_VENV)
	$(ANCHORS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --only-binary :all: \
	    --require-hashes -r bench/anchors-pip.txt
	$(ANCHORS_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r bench/anchors-requirements.txt
	touch $@

bench-anchors: $(BIN)/.dev encodings $(ANCHORS_VENV)/.installed
	$(BIN)/python bench/bench_anchors.py --litellm $(ANCHORS_VENV)/bin/litellm

clean:
	rm -rf $(VENV) .tiktoken_cache $(ANCHORS_VENV)
