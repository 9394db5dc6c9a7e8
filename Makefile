# Two commands do everything on a fresh machine (see README):
#   make run    set up, create the SQLite database with demo data, start the app and the timer worker
#   make test   set up, lint, run the whole test suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
VENDOR  := webapp/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js
SYSDEPS := fonts-wqy-microhei libharfbuzz-subset0
TESTDEPS:= chromium postgresql
HOST    ?= 127.0.0.1
PORT    ?= 5000
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint setup sysdeps testdeps apt bench clean

setup: sysdeps $(STAMP) $(VENDOR)

# System packages: the CJK font the documents name and HarfBuzz subsetting (80× faster PDFs);
# for the tests also a real browser (Chromium, driven by Playwright) and a PostgreSQL server.
sysdeps:
	@$(MAKE) --no-print-directory apt PKGS="$(SYSDEPS)"

testdeps:
	@$(MAKE) --no-print-directory apt PKGS="$(TESTDEPS)"

apt:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

# The BPMN diagram viewer of the auditor's pages (bpmn-js, pinned in package-lock.json).
$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(VENDOR))
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(dir $(VENDOR))
	cp -r node_modules/bpmn-js/dist/assets $(dir $(VENDOR))

run: setup
	$(BIN)/flask --app wsgi init-db
	$(BIN)/flask --app wsgi seed-demo
	@echo "打开 http://$(HOST):$(PORT)/  （演示账号见 README）"
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi worker --interval 30 & worker=$$!; \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .

test: lint testdeps
	$(BIN)/pytest -n 2 -q

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules webapp/static/vendor
