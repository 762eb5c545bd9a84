# 注册安全工程师注册管理系统 — `make run` serves the portal with demo data, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev translations lint db-upgrade migration-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	@for dir in portal/translations/*/; do $(BIN)/pybabel compile --use-fuzzy -d $$dir > /dev/null; done

db-upgrade: install
	$(FLASK) db upgrade

run: db-upgrade
	$(FLASK) demo-data --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ — console at http://$(HOST):$(PORT)/reviewer/"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check portal tests bench

clean:
	rm -rf $(VENV) instance/portal.sqlite3
