# One command each: `make demo` (the main job against the local emulator) and `make test` (the whole
# suite, as CI runs it). Both set up what they need: a virtualenv in .venv and the Pulumi engine
# (built once from its Go modules into ~/.cache/pulumi-onence, then reused).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ENGINE := scripts/provide-engine.sh

.PHONY: all venv engine lint conformance test test-fast test-docs demo demo-gitops bench dist clean

all: test

$(STAMP): pyproject.toml emulator/pyproject.toml devtools/pyproject.toml constraints.txt
	@echo "==> setting up $(VENV) (the exact versions of constraints.txt, in the ranges of pyproject.toml)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]' -e './emulator[receiver]' -e ./devtools
	touch $(STAMP)

venv: $(STAMP)

engine: venv
	@bash $(ENGINE) >/dev/null

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy provider emulator devtools scripts

# The emulator against 1NCE's published OpenAPI file (schemathesis, in its own cached venv).
conformance: venv
	bash emulator/scripts/schemathesis.sh $(CONFORMANCE_EXAMPLES)

CONFORMANCE_EXAMPLES ?= 100

# The whole suite: lint, the emulator's OpenAPI conformance run, then every test, the end-to-end
# tests with the real engine included (they fail, not skip, without it) and the pages' commands
# run as written (tests/docs, see test-docs).
test: venv
	@engine_bin=$$(bash $(ENGINE)) && \
	bash scripts/provide-seaweedfs.sh >/dev/null && \
	$(MAKE) --no-print-directory lint && \
	$(MAKE) --no-print-directory conformance && \
	PATH="$$engine_bin:$(abspath $(VENV))/bin:$$PATH" ONENCE_REQUIRE_ENGINE=1 \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

# The commands of every page (README.md, examples/*/README.md, policies/README.md, docs/*.md) run
# as written, in order, in a copy of the repository (part of `make test`). The pages start the
# emulator on 127.0.0.1:8765 (and the quickstart's receiver on 8766): those ports must be free.
test-docs: venv
	@engine_bin=$$(bash $(ENGINE)) && \
	PATH="$$engine_bin:$(abspath $(VENV))/bin:$$PATH" ONENCE_REQUIRE_ENGINE=1 \
	  $(VENV)/bin/pytest tests/docs $(PYTEST_ARGS)

# Everything except the engine-driven tests: quick feedback while developing.
test-fast: venv
	$(VENV)/bin/pytest -m 'not e2e' $(PYTEST_ARGS)

demo: venv
	@engine_bin=$$(bash $(ENGINE)) && \
	PATH="$$engine_bin:$(abspath $(VENV))/bin:$$PATH" $(PY) scripts/demo.py

# The GitOps pipeline on shared S3 state (SeaweedFS, built once like the engine), runner by runner.
demo-gitops: venv
	@engine_bin=$$(bash $(ENGINE)) && bash scripts/provide-seaweedfs.sh >/dev/null && \
	PATH="$$engine_bin:$(abspath $(VENV))/bin:$$PATH" $(PY) scripts/demo_gitops.py

bench: venv
	@engine_bin=$$(bash $(ENGINE)) && \
	PATH="$$engine_bin:$(abspath $(VENV))/bin:$$PATH" $(PY) -m bench.run $(BENCH_ARGS)

# The release: wheels and sdists of both distributions in dist/, checked as PyPI would check them.
dist: venv
	rm -rf dist build emulator/build
	$(PY) -m build --outdir dist .
	$(PY) -m build --outdir dist emulator
	$(VENV)/bin/twine check --strict dist/*

clean:
	rm -rf $(VENV) build dist emulator/build *.egg-info provider/*.egg-info emulator/*.egg-info .pytest_cache .mypy_cache .ruff_cache
