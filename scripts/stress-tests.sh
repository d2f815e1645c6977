#!/usr/bin/env bash
# Runs the whole test suite RUNS times in a row (default 10) while
# `stress-ng --cpu 2` keeps two cores busy, to show the tests do not flake
# on a loaded machine: the README's test command (`cargo test --workspace`, here with
# --no-fail-fast so that one failure does not hide another), then the
# browser tests it skips (`--ignored`) when /usr/bin/chromium is there.
#
#   scripts/stress-tests.sh            # 10 runs
#   RUNS=3 scripts/stress-tests.sh     # fewer
#
# Builds once first (without load), then starts stress-ng (installing it
# with apt-get when it is missing and this runs as root) and stops it on
# exit, however the script ends. Prints one summary line per run and a
# last line for all of them; each run's full output is kept in
# $LOGS (default target/stress-tests/, or $CARGO_TARGET_DIR/stress-tests/).
# Exits 1 if any run had a failure, 2 if it could not start.
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-10}"
LOGS="${LOGS:-${CARGO_TARGET_DIR:-target}/stress-tests}"
CHROMIUM=/usr/bin/chromium

if ! command -v stress-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing stress-ng"
    DEBIAN_FRONTEND=noninteractive apt-get install -y stress-ng >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y stress-ng >/dev/null; } ||
      { echo "stress-tests: cannot install stress-ng; install it (apt-get install stress-ng) and run again" >&2; exit 2; }
  else
    echo "stress-tests: stress-ng is missing; install it (apt-get install stress-ng, as root) and run again" >&2
    exit 2
  fi
fi

browser=no
[ -x "$CHROMIUM" ] && browser=yes

echo "== building the tests once (no load yet)"
if ! cargo test --workspace --no-run --quiet; then
  echo "stress-tests: the tests do not build" >&2
  exit 2
fi
mkdir -p "$LOGS"

STRESS_PID=""
stop_stress() {
  if [ -n "$STRESS_PID" ]; then
    # Only the stress-ng this script started (it stops its own workers).
    kill -TERM "$STRESS_PID" 2>/dev/null
    wait "$STRESS_PID" 2>/dev/null
    STRESS_PID=""
  fi
}
trap stop_stress EXIT
trap 'stop_stress; exit 130' INT TERM

stress-ng --cpu 2 --quiet &
STRESS_PID=$!
echo "== stress-ng --cpu 2 running (pid $STRESS_PID); $RUNS runs; browser tests: $browser; logs in $LOGS"

# Sums the `test result:` lines of a log: "P passed, F failed, I ignored".
counts() {
  awk '/^test result:/ {
         for (i = 1; i <= NF; i++) {
           if ($(i+1) ~ /^passed/) p += $i
           if ($(i+1) ~ /^failed/) f += $i
           if ($(i+1) ~ /^ignored/) g += $i
         }
       }
       END { printf "%d passed, %d failed, %d ignored", p, f, g }' "$1"
}

failed_runs=0
for run in $(seq 1 "$RUNS"); do
  log="$LOGS/run-$run.log"
  start=$(date +%s)
  status=ok
  cargo test --workspace --no-fail-fast >"$log" 2>&1 || status=FAILED
  if [ "$browser" = yes ]; then
    cargo test --test week_view_browser -- --ignored >>"$log" 2>&1 || status=FAILED
  fi
  secs=$(( $(date +%s) - start ))
  line="run $run/$RUNS: $status ($(counts "$log")) in ${secs}s"
  if [ "$status" != ok ]; then
    failed_runs=$((failed_runs + 1))
    # The failing tests by name, and the test binaries that failed.
    names=$(grep -E '^test .* \.\.\. FAILED$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | sort -u | paste -sd, -)
    bins=$(grep -E '^error: test failed, to rerun pass' "$log" | sed -E 's/.*pass `(.*)`/\1/' | sort -u | paste -sd' ' -)
    line="$line; failed: ${names:-?} [${bins:-see $log}]"
  fi
  echo "$line"
done

stop_stress
if [ "$failed_runs" -eq 0 ]; then
  echo "stress-tests: all $RUNS runs passed under stress-ng --cpu 2"
  exit 0
fi
echo "stress-tests: $failed_runs of $RUNS runs failed under stress-ng --cpu 2 (logs in $LOGS)"
exit 1
