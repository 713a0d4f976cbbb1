#!/bin/sh
# run.sh - a fixed-time pass of the request fuzzer over the saved corpus.
#   run.sh [SECONDS [JOBS]]   exits 0 iff libFuzzer found nothing
# New inputs go to a scratch directory, so corpus/ changes only when someone
# merges into it (./fuzz_request -merge=1 corpus NEW_DIR); a failure leaves its
# input in artifacts/, which ./fuzz_request artifacts/crash-... replays.
set -u
cd "$(dirname "$0")"
seconds=${1:-20}
jobs=${2:-1}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p artifacts
# More than one job: libFuzzer's fork mode, one process a core.
parallel=
[ "$jobs" -gt 1 ] && parallel=-fork=$jobs
# -rss_limit_mb: a request that needs more is a finding; -timeout: so is a hang.
./fuzz_request -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
	-max_len=8192 -dict=request.dict -artifact_prefix=artifacts/ \
	-print_final_stats=1 $parallel "$scratch" corpus
