#!/usr/bin/env bash
# Fails when a server log shows a panic or a 5xx answer: a suite that passes while the
# server it drives breaks has not passed. Usage: check-server-log.sh <log file>...
set -euo pipefail
status=0
for log in "$@"; do
  if [ ! -s "$log" ] && [ ! -f "$log" ]; then
    echo "no server log at $log" >&2
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
