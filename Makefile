# The two commands of the README: `make demo` and `make test`.
# Both make their own virtual environment, so a fresh machine needs only Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the test suite needs; installed only when missing.
DEBIAN_PACKAGES := postgresql chromium fonts-noto-cjk poppler-utils

# The booth's JavaScript runs on @noble/curves and @noble/hashes at the versions
# package-lock.json pins, installed by `npm ci`; Node.js itself comes from Debian
# when the machine has none.
# The verifier also runs on libsodium's WebAssembly build (libsodium-sumo), bundled
# beside noble.
# verify-offline.js is the record verification page in one script, for the page
# saved to disk; it is built from our own modules, so it depends on them.
VENDOR := booth/static/vendor/noble.js booth/static/vendor/sodium.js \
	booth/static/vendor/verify-offline.js

.PHONY: demo test lint lock debian-packages clean bench translations js-test

# Python packages install from the lock files at exact versions and hashes: the product's
# own (requirements/runtime.txt) for `make demo`, and with the test suite's, PostgreSQL's
# driver and the type checker's (requirements/test.txt) for `make test`.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/.runtime: requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed: $(BIN)/.runtime requirements/test.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.txt
	touch $@

# Re-resolve the lock files after a change to pyproject.toml's dependencies; pins already
# in them are kept. `make lock UPGRADE=--upgrade` moves every pin to the newest version
# pyproject.toml allows (then run `make test`).
UV_VERSION := 0.13.9
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" --quiet $(UPGRADE)

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV_COMPILE) -o requirements/runtime.txt
	$(UV_COMPILE) --extra test -o requirements/test.txt

node_modules/.installed: package.json package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian packages: nodejs npm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR) &: node_modules/.installed booth/static/vendor/entry.js \
		booth/static/vendor/sodium-entry.js booth/static/vendor/build.mjs \
		$(wildcard booth/static/protocol/*.js booth/static/verify/*.js)
	npm run --silent vendor

demo: $(BIN)/.runtime $(VENDOR)
	$(BIN)/piaojue demo

debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

js-test: $(VENDOR)
	node --test tests/js/

test: $(BIN)/.installed debian-packages $(VENDOR) lint js-test
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/crypto.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis node_modules $(VENDOR)

# The domain errors' and labels' message ids (ballot/errors.py): each error class is a keyword.
ERROR_KEYWORDS := $(foreach k,DomainError NotFound Conflict InvalidInput Forbidden CastRefused \
	AlreadyCast CredentialUnusable UnsupportedBody Message N_,-k $(k))

translations: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k lazy_gettext $(ERROR_KEYWORDS) \
	  -o booth/translations/messages.pot .
	$(BIN)/pybabel update -i booth/translations/messages.pot -d booth/translations -l zh_Hans_CN --width 100
	$(BIN)/pybabel compile -d booth/translations
