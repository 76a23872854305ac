#!/usr/bin/env bash
# Reports the hydrate bundle (wasm + JS) of the release build, raw and gzipped.
# Run after `cargo leptos build --release` (make run does it). Budget: 400 KB gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=target/site/pkg
total=0
for file in "$pkg"/*.wasm "$pkg"/*.js; do
  raw=$(stat -c %s "$file")
  gz=$(gzip -9c "$file" | wc -c)
  total=$((total + gz))
  printf '%-40s %8d bytes  %8d gzipped\n' "$(basename "$file")" "$raw" "$gz"
done
printf '%-40s %8s        %8d gzipped (budget 409600)\n' "total" "" "$total"
[ "$total" -le 409600 ]
