# Newsroom: `make run` serves the site with sample coverage; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A per-checkout secret key, made once and never committed (.gitignore).
.secret_key: | $(BIN)/python
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: $(VENV)/.installed .secret_key
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py migrate --noinput
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py load_sample_content
	@echo "Newsroom is at http://$(HOST):$(PORT)/ — editors: make an account with"
	@echo "  DJANGO_SECRET_KEY=\"\$$(cat .secret_key)\" $(BIN)/python manage.py createsuperuser"
	DJANGO_SECRET_KEY="$$(cat .secret_key)" $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles build
