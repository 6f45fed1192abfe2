# hookforge — every target bootstraps what it needs, so a fresh clone needs only `make demo` / `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TOOLS_STAMP := $(TOOLS)/.installed-v1
CHECKOV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV)/.installed-v1
BENCH_ENV := .venv-bench
BENCH_STAMP := $(BENCH_ENV)/.installed-v1
UV_ENV := .venv-uv
UV := $(UV_ENV)/bin/uv
UV_STAMP := $(UV_ENV)/.installed-v1
#: what installs the environments: uv (about 6 s for .venv where pip took 44 s; it keeps a cache between runs
#: where the machine keeps ~/.cache), or pip (`make test INSTALLER=pip`, e.g. where only pip's index settings apply)
INSTALLER ?= uv
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export UV_NO_PROGRESS := 1

.PHONY: help setup demo test test-deps system-deps bench package-check lint browser-deps voice-deps tools clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

# uv in an environment of its own; where it cannot be installed, pip installs everything instead.
$(UV_STAMP):
	@echo "==> installing uv into $(UV_ENV) (it installs the other environments)"
	$(PY) -m venv $(UV_ENV)
	$(UV_ENV)/bin/pip install -q uv || echo "==> uv could not be installed: pip installs the environments"
	@touch $@

# $(call install,ENV,REQUIREMENTS): a fresh virtual environment ENV with REQUIREMENTS installed
define install
	$(PY) -m venv $(1)
	@if [ "$(INSTALLER)" = uv ] && [ -x $(UV) ]; then \
	  echo '$(UV) pip install --python $(1)/bin/python $(subst ",,$(2))'; \
	  $(UV) pip install -q --python $(1)/bin/python $(2); \
	else \
	  echo '$(1)/bin/pip install $(subst ",,$(2))'; \
	  $(1)/bin/pip install -q --upgrade pip && $(1)/bin/pip install -q $(2); \
	fi
endef

$(STAMP): pyproject.toml | $(UV_STAMP)
	@echo "==> creating $(VENV) and installing hookforge with its local and dev extras"
	$(call install,$(VENV),-e ".[dev]")
	@rm -f $(VENV)/.installed-*; touch $@

# Validation CLIs live in their own environment: aws-sam-cli and checkov pin their own boto3.
$(TOOLS_STAMP): | $(UV_STAMP)
	@echo "==> installing template and state-machine validators into $(TOOLS)"
	$(call install,$(TOOLS),aws-sam-cli statelint)
	@touch $@

# checkov pins an old boto3 of its own: it gets an environment of its own too.
$(CHECKOV_STAMP): | $(UV_STAMP)
	@echo "==> installing checkov into $(CHECKOV)"
	$(call install,$(CHECKOV),checkov)
	@touch $@

# The bench's yardstick (the same look made with MoviePy) gets an environment of its own: never a runtime dependency.
# (a variable: a comma written in $(call ...)'s arguments would split them)
MOVIEPY := moviepy>=2.2,<3
$(BENCH_STAMP): | $(UV_STAMP)
	@echo "==> installing MoviePy 2.x into $(BENCH_ENV) (the bench's yardstick only)"
	$(call install,$(BENCH_ENV),"$(MOVIEPY)")
	@touch $@

tools: $(TOOLS_STAMP) $(CHECKOV_STAMP)  ## install sam, statelint and checkov (own environments)

# Browser tests drive Debian's Chromium; never a downloaded browser build.
browser-deps:  ## install Debian's chromium if missing
	@command -v chromium >/dev/null || { \
	  echo "==> installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); }

# Local voiceovers are spoken by Debian's espeak-ng (Amazon Polly speaks them in AWS).
voice-deps:  ## install Debian's espeak-ng if missing
	@command -v espeak-ng >/dev/null || { \
	  echo "==> installing Debian espeak-ng for local voiceovers"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null); }

setup: $(STAMP)  ## create .venv with hookforge installed (editable)

demo: $(STAMP)  ## run the whole pipeline locally on the built-in brief (no AWS, no keys)
	$(BIN)/hookforge demo

# Much of the suite waits (on ffmpeg, local services, subprocesses): with 3 workers on 2 cores it used 135 % CPU.
# Two test workers per core keep the cores busier: on 2 cores, 4 workers ran the suite in 5 min 44 s at 166 % CPU.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))

# The environments install side by side (they share nothing); the two apt installs go one after the other.
test-deps:
	@$(MAKE) --no-print-directory -j4 $(STAMP) $(TOOLS_STAMP) $(CHECKOV_STAMP) system-deps

system-deps:
	@$(MAKE) --no-print-directory browser-deps
	@$(MAKE) --no-print-directory voice-deps

# Compiled modules are cached for the run even where the machine sets PYTHONDONTWRITEBYTECODE: otherwise every
# worker compiles and assertion-rewrites every test module again (collection: 5.1 s -> 3.0 s a worker), and every
# `hookforge` a test starts compiles the package again.
test: test-deps  ## run every test (unit, integration, browser, template checks)
	PYTHONDONTWRITEBYTECODE= PATH="$(CURDIR)/$(TOOLS)/bin:$(CURDIR)/$(CHECKOV)/bin:$$PATH" \
	  $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

package-check: $(STAMP) $(TOOLS_STAMP)  ## sam build the layer and zip functions (no Docker); check size and handler imports
	$(BIN)/python .ci/package_check.py --sam $(TOOLS)/bin/sam

bench: $(STAMP) $(BENCH_STAMP)  ## print measured performance ratios
	HOOKFORGE_BENCH_MOVIEPY="$(CURDIR)/$(BENCH_ENV)/bin/python" $(BIN)/python -m benchmarks

lint: $(STAMP)  ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:  ## remove environments and local state
	rm -rf $(VENV) $(TOOLS) $(CHECKOV) $(BENCH_ENV) $(UV_ENV) .hookforge hookforge-out .pytest_cache
