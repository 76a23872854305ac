#!/usr/bin/env bash
# After the Playwright suite: no server it started (its database lives in a fusion-e2e-*
# folder) and no browser it launched may still run.
set -euo pipefail
leftovers=$(pgrep -af -- 'fusion-e2e-|--remote-debugging-pipe' | grep -v -e pgrep -e check-no-leftovers || true)
if [ -n "$leftovers" ]; then
  echo "processes left behind by the end-to-end suite:" >&2
  echo "$leftovers" >&2
  exit 1
fi
echo "no server or browser process left behind"
