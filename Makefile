# Terrain — the two commands a newcomer needs:
#   make demo   build the web app and run the demo (http://127.0.0.1:8080)
#   make test   install what the tests need, then run every test (Rust on SQLite and
#               PostgreSQL, web unit tests, browser tests); ends with the test runner's summary
# and a few more: make web, make lint, make serve.
# Benchmarks (not part of make test; they need PostgreSQL, and root for the disk-full fault):
#   make soak   kill -9 of the server 20 times under mixed load, then storage faults (disk full,
#               connections killed, read-only database), on SQLite and PostgreSQL (~5 min)
#   make load   60 s of mixed load per backend (release build): throughput, p50/p99 per endpoint

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
TERRAIN_BIN := $(TARGET_DIR)/debug/terrain
PG_URL := $(or $(TERRAIN_TEST_PG_URL),postgres://postgres@127.0.0.1:5432/test)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test web web-deps chromium lint serve pg-check clean soak load

## The demo: a fresh SQLite database with a demo campaign, served on 127.0.0.1:8080.
demo: web
	$(CARGO) run --release -p terrain -- demo $(DEMO_ARGS)

## Everything CI runs.
test: web chromium pg-check
	cd web && npm test
	$(CARGO) build -p terrain
	cd web && TERRAIN_BIN="$(TERRAIN_BIN)" npm run e2e
	@if command -v cargo-nextest >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  echo "(cargo-nextest not found: using cargo test)"; $(CARGO) test --workspace --no-fail-fast; \
	fi

## The web app (dashboard + field app), built into web/dist and embedded in the binary.
web: web-deps
	cd web && npm run build

web-deps: web/node_modules/.terrain-stamp

web/node_modules/.terrain-stamp: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

## Debian's Chromium for the browser tests (installed when missing).
chromium:
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ]; then :; else \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

## Says loudly whether the PostgreSQL tests will run (CI sets TERRAIN_REQUIRE_PG=1: they must).
pg-check:
	@if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -d "$(PG_URL)"; then \
	  echo "PostgreSQL at $(PG_URL): the PostgreSQL tests will run."; \
	elif [ "$${TERRAIN_REQUIRE_PG:-0}" = 1 ]; then \
	  echo "ERROR: TERRAIN_REQUIRE_PG=1 but PostgreSQL at $(PG_URL) does not answer." >&2; exit 1; \
	else \
	  echo "************************************************************************"; \
	  echo "* PostgreSQL at $(PG_URL) does not answer: its tests will be SKIPPED."; \
	  echo "* Set TERRAIN_TEST_PG_URL to a server you can create schemas on."; \
	  echo "************************************************************************"; \
	fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## kill -9 soak then storage faults (bench/loadgen), SQLite and PostgreSQL; logs in bench/out/loadgen.
soak: pg-check
	$(CARGO) build -p terrain -p terrain-loadgen
	$(TARGET_DIR)/debug/terrain-loadgen --bin "$(TERRAIN_BIN)" soak $(SOAK_ARGS)
	$(TARGET_DIR)/debug/terrain-loadgen --bin "$(TERRAIN_BIN)" faults

## Sustained mixed load, 60 s per backend (LOAD_ARGS="--walkers 200 …"), on a release build
## (LOAD_PROFILE=debug to reuse the test build).
LOAD_PROFILE ?= release
load: pg-check
	$(CARGO) build --profile $(subst debug,dev,$(LOAD_PROFILE)) -p terrain -p terrain-loadgen
	$(TARGET_DIR)/$(LOAD_PROFILE)/terrain-loadgen --bin "$(TARGET_DIR)/$(LOAD_PROFILE)/terrain" load $(LOAD_ARGS)

serve: web
	$(CARGO) run --release -p terrain -- serve $(SERVE_ARGS)

clean:
	rm -rf web/dist web/node_modules demo-data
	$(CARGO) clean
