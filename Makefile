# The two commands of the README: `make run` and `make test`. Everything else is a helper of theirs.
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
CATALOGUES := $(wildcard lms/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test install system-packages migrate translations extract-messages update-messages lint format bench clean

$(INSTALLED): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED) translations

system-packages:
	bash scripts/install-system-packages.sh $(if $(CI),--browser,)

migrate: install
	$(FLASK) db upgrade

run: install system-packages migrate
	$(FLASK) orgs sync
	$(FLASK) courses load courses/
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install system-packages
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Translations: extract marked strings, merge them into the catalogues, compile.
extract-messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o lms/translations/messages.pot --no-location --sort-output .

update-messages: extract-messages
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching

translations: $(COMPILED)

%.mo: %.po $(INSTALLED)
	$(BIN)/pybabel compile --statistics -i $< -o $@

bench: install
	$(BIN)/python bench/report_bench.py

clean:
	rm -rf $(VENV) instance/lms.sqlite3* .pytest_cache
