# Price Runner: `make run` serves on :3001, `make test` runs the tests. Both set up .venv first.
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
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

encodings: $(BIN)/.runtime
	@$(BIN)/python scripts/tiktoken_cache.py --from $(SHARED_TIKTOKEN) --download --to $(TIKTOKEN_CACHE_DIR) --optional

# make run serves this machine only unless HOST says otherwise (gunicorn.conf.py's own default,
# for direct deployments, is 0.0.0.0, or 127.0.0.1 behind a proxy; Docker and Kubernetes set HOST).
run: export HOST ?= 127.0.0.1
run: encodings
	$(BIN)/flask --app wsgi db upgrade
	exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(BIN)/.dev encodings
	$(BIN)/python -m pytest

bench: $(BIN)/.dev encodings
	$(BIN)/python bench/run_all.py

# LiteLLM's proxy, the gateway we are measured against, in a venv of its own (never .venv):
# every package pinned and hashed (bench/anchors-requirements.txt, from pip-compile
# --generate-hashes), since some litellm releases were compromised.
ANCHORS_VENV := bench/.anchors-venv

$(ANCHORS_VENV)/.installed: bench/anchors-requirements.txt
	rm -rf $(ANCHORS_VENV)
	$(PYTHON) -m venv $(ANCHORS_VENV)
	$(ANCHORS_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r bench/anchors-requirements.txt
	touch $@

bench-anchors: $(BIN)/.dev encodings $(ANCHORS_VENV)/.installed
	$(BIN)/python bench/bench_anchors.py --litellm $(ANCHORS_VENV)/bin/litellm

clean:
	rm -rf $(VENV) .tiktoken_cache $(ANCHORS_VENV)
