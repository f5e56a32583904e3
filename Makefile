# 政民互动 — `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install browser-deps run test test-fast messages bench bench-servers clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Browser tests use Debian's Chromium (never a downloaded browser) and axe-core from npm.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

run: install
	$(PY) -m engagement migrate
	$(PY) -m engagement demo --if-empty
	PORT=$(PORT) $(PY) -m engagement serve --port $(PORT)

test: install browser-deps
	./scripts/run-tests.sh

test-fast: install
	$(PY) -m pytest -q -m "not browser"

# Extract message ids, merge them into the catalogues, list missing Chinese translations (docs/i18n.md).
messages: install
	./scripts/update-messages.sh

# Requests/s and p50/p99 of the home page and /healthz against a bare Litestar endpoint (bench/README.md).
bench: install
	$(PY) bench/http_bench.py --duration 10 --concurrency 32 64

bench-opinions: install
	$(PY) bench/opinion_bench.py --duration 10 --concurrency 16

bench-servers: install
	$(PY) bench/http_bench.py --compare-servers --duration 10 --concurrency 32 64

clean:
	rm -rf $(VENV) var node_modules
