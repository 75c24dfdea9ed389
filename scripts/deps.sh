#!/usr/bin/env bash
# Installs the Debian packages that ordercore's build, tests and benchmarks need.
# Idempotent: it asks apt only for what is missing, and does nothing when all is present.
# Works as root; uses sudo otherwise. `deps.sh --bench` adds what `make bench` runs beside
# the engine (fio and jq, for bench/wal_vs_fio.sh; python3, for bench/charts.py); `deps.sh --peers` the systems
# bench/peers/run.sh measures on the same order stream (Redis 7, PostgreSQL 15).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  liburing-dev libmimalloc-dev libxxhash-dev libbenchmark-dev libcmocka-dev libinih-dev
  libmicrohttpd-dev # the daemon's admin HTTP endpoint (/metrics, /healthz)
  tmux curl # the tests drive ordercore-cli top in tmux and scrape /metrics with curl
  clang cppcheck # make lint (in make test): clang -Werror and cppcheck on engine/
  libck-dev # Concurrency Kit's ck_ring: the baseline beside the engine's ring in ordercore-bench
  libdpdk-dev # DPDK's rte_ring (SP/SC): the second baseline beside the engine's ring in ordercore-bench
  chromium # headless, for the load generator's HTML report test (tests/cli/loadgen_report.sh)
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(fio jq python3)
fi
if [ "${1:-}" = "--peers" ]; then
  packages=(redis-server redis-tools postgresql postgresql-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
