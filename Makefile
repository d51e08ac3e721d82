# Two commands: `make run` (demo on SQLite) and `make test` (every test, SQLite and PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test translations bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d locale

run: $(VENV)/.installed translations
	GONGJIAN_ENV=development $(BIN)/flask db upgrade
	GONGJIAN_ENV=development $(BIN)/flask demo seed --if-empty
	@echo "Gongjian admin panel: http://$(HOST):$(PORT)/admin/  (API docs: /api/v1/openapi.json)"
	GONGJIAN_ENV=development $(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
