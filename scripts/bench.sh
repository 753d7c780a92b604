#!/usr/bin/env bash
# Runs the benchmarks of bench/ (tests named TestBench*) against real
# PostgreSQL and a real Temporal dev server, keeps the whole log in
# .data/bench.log and prints the result lines ("bench ...").
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

if [ ! -d bench ]; then
	echo "scripts/bench.sh: there is no bench/ package yet" >&2
	exit 1
fi
# dnsperf is the baseline of the DNS sweep's bench (bench/dns_test.go).
if ! command -v dnsperf >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "scripts/bench.sh: installing dnsperf (apt-get)…" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq dnsperf >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null && apt-get install -y -qq dnsperf >/dev/null; } ||
			echo "scripts/bench.sh: could not install dnsperf; TestBenchDNSQueryRate will fail" >&2
	else
		echo "scripts/bench.sh: dnsperf missing and not root ('sudo apt-get install -y dnsperf'); TestBenchDNSQueryRate will fail" >&2
	fi
fi
if [ -z "${BEIAN_TEMPORAL_CLI:-}" ]; then
	BEIAN_TEMPORAL_CLI="$(go run ./cmd/devenv temporal-cli)"
fi
DATABASE_URL="$(go run ./cmd/devenv postgres)" # keeps $DATABASE_URL when it answers
export DATABASE_URL BEIAN_TEMPORAL_CLI
export BEIAN_BENCH=1

mkdir -p .data
if ! go test -count=1 -run '^TestBench' -v ./bench/ 2>&1 | tee .data/bench.log; then
	echo "scripts/bench.sh: FAILED (full log: .data/bench.log)" >&2
	exit 1
fi
# The production topology's bench (issue 11): 10,000 live filings.
if ! go test -tags prod -count=1 -timeout 120m -run '^TestBenchLiveFilings$' -v ./prodtest/ 2>&1 | tee -a .data/bench.log; then
	echo "scripts/bench.sh: FAILED (full log: .data/bench.log)" >&2
	exit 1
fi
echo
echo "results (full log: .data/bench.log):"
grep '^bench ' .data/bench.log || { echo "scripts/bench.sh: no 'bench ' result lines in the log" >&2; exit 1; }
