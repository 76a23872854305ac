#!/usr/bin/env bash
# Installs everything this project needs to build and test, skipping what is present.
# On a fresh machine the first run compiles cargo-leptos and wasm-bindgen-cli from
# source (about 7 minutes on 2 cores); later runs take a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION="0.3.11"
SCHEMATHESIS_VERSION="4.32.5"
export PATH="$HOME/.cargo/bin:$PATH"

step() { echo "==> setup: $*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. The pinned Rust toolchain (automatic installation is off on our machines).
channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if rustup toolchain list | grep -q "^$channel" &&
   rustup target list --installed --toolchain "$channel" | grep -q wasm32-unknown-unknown &&
   rustup component list --installed --toolchain "$channel" | grep -q clippy; then
  step "rust $channel present"
else
  step "installing rust $channel with wasm32 target, rustfmt, clippy"
  rustup toolchain install
fi

# 2. cargo-leptos at a pinned version, and wasm-bindgen-cli at exactly the version of the
#    wasm-bindgen crate in Cargo.lock (without --locked: its lock file names a crate the
#    registry here lacks). Both are compiled at once and without optimisation (`--debug`):
#    7 minutes on 2 cores from nothing, where optimised one after the other took over 30;
#    neither tool's own speed matters to a build (see BENCHMARKS.md).
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
installs=$(mktemp -d)
pids=()
if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  step "cargo-leptos $CARGO_LEPTOS_VERSION present"
else
  step "compiling cargo-leptos $CARGO_LEPTOS_VERSION (about 7 minutes on a fresh machine)"
  cargo install --debug cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked \
    >"$installs/cargo-leptos.log" 2>&1 &
  pids+=("$!:cargo-leptos")
fi
if wasm-bindgen --version 2>/dev/null | grep -q " $wasm_bindgen_version\$"; then
  step "wasm-bindgen-cli $wasm_bindgen_version present"
else
  step "compiling wasm-bindgen-cli $wasm_bindgen_version (at the same time)"
  cargo install --debug wasm-bindgen-cli --version "$wasm_bindgen_version" --force \
    >"$installs/wasm-bindgen-cli.log" 2>&1 &
  pids+=("$!:wasm-bindgen-cli")
fi
failed=0
for entry in "${pids[@]}"; do
  if wait "${entry%%:*}"; then
    step "${entry#*:} installed"
  else
    echo "setup: installing ${entry#*:} failed:" >&2
    tail -n 30 "$installs/${entry#*:}.log" >&2
    failed=1
  fi
done
rm -rf "$installs"
[ "$failed" -eq 0 ] || exit 1

# 4. npm packages: wasm-opt (binaryen) for release builds, Playwright for end2end.
npm_ci() {
  local dir=$1 stamp="$1/node_modules/.setup-stamp"
  local want; want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    step "npm packages in $dir present"
  else
    step "npm ci in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    echo "$want" > "$stamp"
  fi
}
npm_ci tools
npm_ci end2end

# 5. Debian's Chromium for the headless end-to-end suite (Playwright cannot download one here).
if [ -x /usr/bin/chromium ]; then
  step "chromium present"
else
  step "installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# 6. Schemathesis at a pinned version in tools/venv, for the API tests (scripts/schemathesis.sh).
if tools/venv/bin/schemathesis --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then
  step "schemathesis $SCHEMATHESIS_VERSION present"
else
  step "installing schemathesis $SCHEMATHESIS_VERSION in tools/venv"
  python3 -m venv --clear tools/venv
  tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
step "done"
