#!/usr/bin/env bash
# Fails when the Makefile resolves cargo's target directory while make parses it: on a
# fresh machine cargo only exists once `setup` has run, so a `$(shell cargo …)` at parse
# time yields nothing and `make run` would start `/release/server`. Dry-runs the targets
# that start the server with a `cargo` that always fails (and a HOME without
# `.cargo/bin`, which the Makefile puts first in PATH), then looks for a server path
# with an empty directory in front of it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bin" "$scratch/home"
cat >"$scratch/bin/cargo" <<EOF
#!/bin/sh
echo "cargo \$*" >>"$scratch/cargo-calls"
exit 1
EOF
chmod +x "$scratch/bin/cargo"

# Recipes are printed, not run: any cargo call is made while make parses the Makefile.
if ! printed=$(cd "$root" && env -u CARGO_TARGET_DIR -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
  HOME="$scratch/home" PATH="$scratch/bin:$PATH" \
  make --no-print-directory -n run test-e2e test-api 2>&1); then
  echo "check-makefile: make -n run test-e2e test-api failed:" >&2
  echo "$printed" >&2
  exit 1
fi
status=0
empty=$(grep -n -E "(^|[[:space:]=:'\"])/(release|debug)/" <<<"$printed" || true)
if [ -n "$empty" ]; then
  echo "check-makefile: a server path without its target directory (resolved while make parses?):" >&2
  echo "$empty" >&2
  if [ -s "$scratch/cargo-calls" ]; then
    echo "cargo was called while make parsed the Makefile:" >&2
    sed 's/^/  /' "$scratch/cargo-calls" >&2
  fi
  status=1
fi
# The recipes must still start the server: a Makefile without these lines proves nothing.
for path in /release/server /debug/server; do
  if ! grep -q -F "$path" <<<"$printed"; then
    echo "check-makefile: no recipe of run, test-e2e or test-api names $path" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "Makefile: the target directory is resolved inside recipes only"
exit "$status"
