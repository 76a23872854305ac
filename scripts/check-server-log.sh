#!/usr/bin/env bash
# Fails when a server log shows a panic or a 5xx answer: a suite that passes while the
# server it drives breaks has not passed. The log must also show that the server started
# (its banner), so a log that was never written cannot pass.
# Usage: check-server-log.sh <log file>...
set -euo pipefail
status=0
for log in "$@"; do
  if [ ! -f "$log" ] || ! grep -q "Fusion Teams Onboarding" "$log"; then
    echo "no server start in $log: the suite's server log was not written" >&2
    status=1
    continue
  fi
  found=$(grep -n -E "panicked|server error response" "$log" || true)
  if [ -n "$found" ]; then
    echo "the server logged a panic or a 5xx answer ($log):" >&2
    echo "$found" | head -20 >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "server log clean: no panic, no 5xx"
exit "$status"
