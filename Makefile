# 注册安全工程师注册管理系统 — `make run` serves the portal with demo data, `make test` runs every test,
# `make lock` re-pins requirements/*.txt (pip-compile --upgrade) from the ranges in setup.cfg.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev translations lint lock db-upgrade migration-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the lock files; the portal itself goes in without its (already pinned) dependencies, and
# pip check fails when a lock file no longer satisfies setup.cfg (run `make lock`).
$(VENV)/.installed: $(BIN)/python requirements/main.txt setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -r requirements/main.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

# The lock files target Python 3.11 (the venv's interpreter); dev.txt keeps main.txt's runtime pins.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --upgrade --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --newline=lf

$(BIN)/pip-compile: $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.6,<8'

lock: $(BIN)/pip-compile
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "make lock: run it with Python 3.11")'
	$(PIP_COMPILE) --output-file=requirements/main.txt setup.cfg
	$(PIP_COMPILE) --extra=dev --constraint=requirements/main.txt --output-file=requirements/dev.txt setup.cfg

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	@for dir in portal/translations/*/; do $(BIN)/pybabel compile --use-fuzzy -d $$dir > /dev/null; done

db-upgrade: install
	$(FLASK) db upgrade

# Mail goes out from the server process itself (MAIL_DELIVERY=inline) and, with the development log backend, is
# printed in this console (reset links included): no worker needed. Mail left waiting by the last run goes out first;
# the renewal reminders due today follow (each at most once: safe at every start).
run: db-upgrade
	$(FLASK) demo-data --if-empty
	$(FLASK) mail sweep
	$(FLASK) mail reminders
	@echo "Serving on http://$(HOST):$(PORT)/ — console at http://$(HOST):$(PORT)/reviewer/"
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on TEST_WORKERS processes (pytest-xdist; each gets its own database); TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2

test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check portal tests bench

clean:
	rm -rf $(VENV) instance/portal.sqlite3
