# Two commands: `make run` (demo on SQLite) and `make test` (ruff, then every test, SQLite and PostgreSQL).
# `make test-fast`: ruff and the tests that spawn no process, browser or load, on SQLite only.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test test-fast lint requirements translations bench clean prod-check

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d locale

SIM_PORT ?= 5100

run: $(VENV)/.installed translations
	GONGJIAN_ENV=development $(BIN)/flask db upgrade
	GONGJIAN_ENV=development $(BIN)/flask demo seed --if-empty
	@echo "Gongjian admin panel: http://$(HOST):$(PORT)/admin/  (API docs: /api/v1/openapi.json)"
	@echo "WeChat simulator: http://127.0.0.1:$(SIM_PORT)/sim/calls   Chat with the bot in another terminal:"
	@echo "  . $(VENV)/bin/activate && GONGJIAN_ENV=development FLASK_APP=wsgi flask wechat chat --openid demo-user"
	GONGJIAN_ENV=development $(BIN)/flask wechat simulator --port $(SIM_PORT) & sim=$$!; \
	trap "kill $$sim 2>/dev/null" EXIT INT TERM; \
	GONGJIAN_ENV=development SCHEDULER_ENABLED=1 WECHAT_API_BASE=http://127.0.0.1:$(SIM_PORT) \
	  $(BIN)/flask run --host $(HOST) --port $(PORT)

# The mini-program's jest tests run inside pytest (tests/functional/test_miniprogram_client.py).
miniprogram/node_modules/.package-lock.json: miniprogram/package-lock.json
	if command -v npm >/dev/null 2>&1; then cd miniprogram && npm ci --no-audit --no-fund; \
	else echo "npm not found: the mini-program's tests will be skipped"; fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

test: lint translations miniprogram/node_modules/.package-lock.json
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Markers in pyproject.toml: `slow` (processes, browser, jest, load) and `postgresql` (a test's PostgreSQL run).
test-fast: lint translations
	$(BIN)/python -m pytest -m "not slow and not postgresql" $(PYTEST_ARGS)

# After editing requirements.in or requirements-dev.in: pin every package with its hashes.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras
requirements: $(VENV)/.dev-installed
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

# The production profile on loopback (PostgreSQL, Redis, 2 gunicorn app processes, elected scheduler,
# outbox worker) with a smoke test through both app processes. See docs/deploy.md.
prod-check: $(VENV)/.installed translations
	$(BIN)/python deploy/prod_check.py

clean:
	rm -rf $(VENV) instance .pytest_cache
