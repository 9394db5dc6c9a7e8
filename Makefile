# Two commands do everything on a fresh machine (see README):
#   make run    set up, create the SQLite database with demo data, start the app and the timer worker
#   make test   set up, lint, run the whole test suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
BPMNJS  := webapp/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js
CHARTJS := webapp/static/vendor/chart.js/chart.umd.js
VENDOR  := $(BPMNJS) $(CHARTJS)
AXE     := node_modules/axe-core/axe.min.js
CATALOG := webapp/translations
MO      := $(CATALOG)/en/LC_MESSAGES/messages.mo
SYSDEPS := fonts-wqy-microhei libharfbuzz-subset0
TESTDEPS:= chromium postgresql
HOST    ?= 127.0.0.1
PORT    ?= 5000
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint setup sysdeps testdeps apt bench clean translations

setup: sysdeps $(STAMP) $(VENDOR) $(MO)

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

# Browser libraries, pinned in package-lock.json: the BPMN diagram viewer of the auditor's pages
# (bpmn-js) and the charts of the 统计看板 (Chart.js, its UMD build); and, for the browser tests only
# (devDependencies, never served), axe-core, the accessibility checker tests/e2e/test_screens.py adds to
# the pages. One npm ci makes them all (grouped targets; npm dates its files 1985: axe is touched).
$(VENDOR) $(AXE) &: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(BPMNJS)) $(dir $(CHARTJS))
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(dir $(BPMNJS))
	cp -r node_modules/bpmn-js/dist/assets $(dir $(BPMNJS))
	cp node_modules/chart.js/dist/chart.umd.js $(CHARTJS)
	touch $(AXE)

# The English catalogue of the web pages, compiled from its .po (the .mo is not committed).
$(MO): $(CATALOG)/en/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel -q compile -d $(CATALOG)

# After changing text people see: extract the Chinese msgids (templates, web layer, N_ labels, BPMN step
# names; babel.cfg) into messages.pot and merge them into the English messages.po. Then translate the new
# entries; tests/webapp/test_i18n.py fails while one is untranslated or fuzzy.
translations: $(STAMP)
	PYTHONPATH=. $(BIN)/pybabel -q extract -F babel.cfg --no-wrap --sort-by-file --project=dibao \
	  -o $(CATALOG)/messages.pot .
	$(BIN)/pybabel -q update -i $(CATALOG)/messages.pot -d $(CATALOG) --no-wrap --no-fuzzy-matching --ignore-obsolete

run: setup
	$(BIN)/flask --app wsgi init-db
	$(BIN)/flask --app wsgi seed-demo
	@echo "打开 http://$(HOST):$(PORT)/  （演示账号见 README）"
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi worker --interval 30 & worker=$$!; \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .

test: lint testdeps $(AXE)
	$(BIN)/pytest -n 2 -q

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules webapp/static/vendor
