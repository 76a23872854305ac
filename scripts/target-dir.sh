#!/usr/bin/env bash
# Prints cargo's target directory (CARGO_TARGET_DIR or the workspace's). Called inside
# make recipes, after setup has installed the toolchain, never when make parses.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  echo "$CARGO_TARGET_DIR"
  exit 0
fi
cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
