# Two commands matter: `make run` and `make test`. Everything they need is installed here.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-deps test-softhsm lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/strongroom server --dev

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

# PostgreSQL server binaries for the storage and multi-node tests, which run a private throwaway cluster
# (tests/storage/pg_cluster.py); installed from Debian's packages when missing and we are root.
test-deps:
	@if [ -z "$$STRONGROOM_TEST_POSTGRES_DSN" ] && ! command -v initdb >/dev/null 2>&1 \
	    && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing PostgreSQL for the tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL is not installed: its tests are skipped (or set STRONGROOM_TEST_POSTGRES_DSN)"; \
	  fi; \
	fi

# SoftHSM2, the PKCS#11 token of the pkcs11 root-of-trust tests (tests/trust/softhsm.py); installed from
# Debian's packages when missing and we are root, else those tests are skipped.
test-softhsm:
	@if ! command -v softhsm2-util >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing SoftHSM2 for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null; \
	fi

test: lint test-deps test-softhsm
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
