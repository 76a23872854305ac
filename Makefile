# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# cargo-leptos names the wasm after the project; tests compile the server the same way.
export LEPTOS_OUTPUT_NAME := fusion-teams-onboarding
# cargo's target directory, resolved inside recipes: on a fresh machine cargo only
# exists once `setup` has run, so it cannot be asked when make parses this file.
TARGET_DIR = $$($(CURDIR)/scripts/target-dir.sh)
E2E_SERVER_LOG := $(CURDIR)/end2end/.data/server.log

.PHONY: setup run build test test-rust test-e2e test-api lint fmt bundle-size bench page-bench login-storm

setup:
	@scripts/setup.sh

## Build and serve the app on 127.0.0.1:3000 with the SQLite file in data/ and the demo data.
run: setup
	cargo leptos build --release --precompress
	LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=127.0.0.1:3000 $(TARGET_DIR)/release/server --database-url sqlite://data/fusion.db --demo

build: setup
	cargo leptos build

## Every test: formatting, lints (ssr and hydrate), Rust tests, the Playwright suite, then
## schemathesis against the OpenAPI document.
test: setup lint test-rust test-e2e test-api

lint:
	scripts/check-makefile.sh
	cargo fmt --all -- --check
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test -p server -p app --features app/ssr

test-e2e: build
	cd end2end && SERVER_BIN=$(TARGET_DIR)/debug/server E2E_SERVER_LOG=$(E2E_SERVER_LOG) npx playwright test
	scripts/check-no-leftovers.sh
	scripts/check-server-log.sh $(E2E_SERVER_LOG)

## schemathesis --checks all against the built server's OpenAPI document.
test-api: build
	scripts/schemathesis.sh $(TARGET_DIR)/debug/server

fmt:
	cargo fmt --all

## The hydrate bundle's size, from the release build.
bundle-size: setup
	cargo leptos build --release --precompress
	scripts/bundle-size.sh

## 1,000 wizards against one server at time scale 0: wall time, steps/s, poll latency, RSS.
bench: setup
	cargo run --release -p server --example wizard_bench -- 1000 0 16

## Server-rendered page latency (p50, p99) against one server with the demo data.
page-bench: setup
	cargo run --release -p server --example page_bench -- 200

## 100 concurrent wrong logins against the release binary, with real logins during them.
login-storm: setup
	cargo build --release -p server --bin server --example login_storm
	$(TARGET_DIR)/release/examples/login_storm 3 100
