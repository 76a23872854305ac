#!/usr/bin/env bash
# Removes what a target directory kept across runs that a clean checkout rebuilds anyway:
# the workspace's own compiled crates (tests, examples, the server; each run makes new
# ones under new hashes) and incremental caches. Third-party dependencies stay, so
# repeated CI runs still reuse them. Without this the shared target dir grows by about
# 1 GB per run until the disk is full.
# Usage: scripts/prune-target.sh TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: $0 TARGET_DIR}"
[ -d "$target" ] || exit 0

# The workspace's target names, as cargo writes them into file names (dashes as underscores).
names=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
packages = json.load(sys.stdin)["packages"]
print("\n".join(sorted({t["name"].replace("-", "_") for p in packages for t in p["targets"]})))')

before=$(du -sm "$target" | cut -f1)
for profile in "$target"/{debug,release} "$target"/wasm32-unknown-unknown/* \
  "$target"/front/debug "$target"/front/wasm32-unknown-unknown/*; do
  [ -d "$profile" ] || continue
  # Cargo holds this lock while it builds in the folder: wait for any build to end.
  if command -v flock >/dev/null && [ -e "$profile/.cargo-lock" ]; then
    exec 9<>"$profile/.cargo-lock"
    flock 9
  fi
  rm -rf "$profile/incremental" "$profile/examples"
  # Test and bin executables, including those of targets that no longer exist; a
  # dependency is a library (.rlib, .rmeta, or a proc macro's .so) and stays.
  find "$profile/deps" -maxdepth 1 -type f -perm -u+x ! -name '*.so' -delete 2>/dev/null || true
  for name in $names; do
    rm -rf "$profile"/deps/"$name"-* "$profile"/deps/lib"$name"-* \
      "$profile"/.fingerprint/"${name//_/-}"-* "$profile"/.fingerprint/"$name"-* \
      "$profile"/build/"${name//_/-}"-*
  done
done
after=$(du -sm "$target" | cut -f1)
echo "prune-target: $target ${before} MB -> ${after} MB"
