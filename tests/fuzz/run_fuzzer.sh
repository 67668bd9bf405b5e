#!/usr/bin/env bash
# A bounded libFuzzer campaign: run_fuzzer.sh FUZZER WORK_CORPUS SEED_CORPUS
# Runs IRQRIG_FUZZ_SECONDS (default 20) seconds; a crash, leak or timeout fails the test and leaves
# the reproducer (crash-*) in the work corpus's parent directory.
set -euo pipefail
fuzzer=$1 work=$2 seeds=$3
mkdir -p "$work"
extra=()
[ -n "${IRQRIG_FUZZ_EXTRA_SEEDS:-}" ] && extra+=("$IRQRIG_FUZZ_EXTRA_SEEDS")
cd "$(dirname "$work")"
exec "$fuzzer" -max_total_time="${IRQRIG_FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  "$work" "$seeds" "${extra[@]}"
