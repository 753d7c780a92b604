# beian — `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export GOTOOLCHAIN := local
GO ?= go
.DEFAULT_GOAL := help

.PHONY: help test test-prod fuzz dev build tools bench clean

help: ## list the targets
	@echo "usage: make <target>"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-7s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

test: ## go vet + all tests (race detector on) on real PostgreSQL, a real Temporal dev server and Chromium (builds bin/temporal, installs chromium first)
	@bash scripts/ensure-packages.sh || { echo "make test: FAILED: could not install chromium and fonts-noto-cjk (see above)" >&2; exit 1; }; \
	cli="$$($(GO) run ./cmd/devenv temporal-cli)" || { echo "make test: FAILED: could not build bin/temporal (see above)" >&2; exit 1; }; \
	db="$$($(GO) run ./cmd/devenv postgres)" || { echo "make test: FAILED: no PostgreSQL (see above)" >&2; exit 1; }; \
	export DATABASE_URL="$$db" BEIAN_TEMPORAL_CLI="$$cli"; \
	echo "make test: go vet ./..."; \
	$(GO) vet ./... || { echo "make test: FAILED: go vet ./... found problems" >&2; exit 1; }; \
	echo "make test: go test -race -count=1 -timeout 40m ./..."; \
	$(GO) test -race -count=1 -timeout 40m ./... || { echo "make test: FAILED: go test ./... has failing tests (see above)" >&2; exit 1; }; \
	echo "make test: all tests passed"

test-prod: ## the fault suite on the production topology: Temporal server on PostgreSQL (built from tools/), beian api and worker as processes, faults injected (race detector on)
	@cli="$$($(GO) run ./cmd/devenv temporal-cli)" || { echo "make test-prod: FAILED: could not build bin/temporal (see above)" >&2; exit 1; }; \
	db="$$($(GO) run ./cmd/devenv postgres)" || { echo "make test-prod: FAILED: no PostgreSQL (see above)" >&2; exit 1; }; \
	export DATABASE_URL="$$db" BEIAN_TEMPORAL_CLI="$$cli"; \
	echo "make test-prod: go test -tags prod -race -count=1 -timeout 40m ./prodtest/"; \
	$(GO) test -tags prod -race -count=1 -timeout 40m ./prodtest/ || { echo "make test-prod: FAILED: a fault scenario failed (see above)" >&2; exit 1; }; \
	echo "make test-prod: every fault scenario passed"

fuzz: ## run every fuzz target (func Fuzz* in *_test.go) for FUZZTIME each (default 10s; FUZZ=regexp picks targets); a crash fails, its input stays in testdata/fuzz/
	@db="$$($(GO) run ./cmd/devenv postgres)" || { echo "make fuzz: FAILED: no PostgreSQL (see above)" >&2; exit 1; }; \
	export DATABASE_URL="$$db"; \
	GO="$(GO)" bash scripts/fuzz.sh

dev: ## run everything locally: API on :8080, Temporal dev server + Web UI, PostgreSQL, mail catcher
	$(GO) run ./cmd/beian dev

build: ## build bin/beian
	$(GO) build -o bin/beian ./cmd/beian

tools: ## build bin/temporal (Temporal CLI with dev server and Web UI) from tools/
	@$(GO) run ./cmd/devenv temporal-cli

bench: ## run the benchmarks in bench/ (TestBench*), log in .data/bench.log
	@bash scripts/bench.sh

clean: ## stop the private PostgreSQL, then delete bin/ and .data/ (the dev database too)
	-@$(GO) run ./cmd/devenv stop-postgres
	rm -rf bin .data
