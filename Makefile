# 政民互动 — `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install browser-deps proxy-deps run lint test test-fast messages bench bench-servers clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

# Browser tests use Debian's Chromium (never a downloaded browser), axe-core from npm and the
# W3C Nu Html Checker (vnu-jar from npm, run by Debian's Java). --ignore-scripts: vnu-jar's
# postinstall would download a Java runtime when none is found; Debian's is installed instead.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian default-jre-headless for the HTML validation test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless; }
	@test -f node_modules/axe-core/axe.min.js && test -f node_modules/vnu-jar/build/dist/vnu.jar || \
	  npm ci --no-audit --no-fund --silent --ignore-scripts

run: install
	$(PY) -m engagement migrate
	ENGAGEMENT_ENV=development $(PY) -m engagement demo --if-empty
	ENGAGEMENT_ENV=development PORT=$(PORT) $(PY) -m engagement serve --port $(PORT)

# ruff with the settings of pyproject.toml; `make test` runs it first and stops on a finding.
lint: install
	$(VENV)/bin/ruff check .

# tests/engagement/test_proxy.py runs the production topology: Debian's nginx in front of two web processes.
proxy-deps:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "installing Debian nginx for the reverse-proxy test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx; }

# Both runs of the suite (docs/testing.md), at the same time, each into its own log.
test: lint browser-deps proxy-deps
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
