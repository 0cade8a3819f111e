#!/bin/sh
# Runs every test: unit tests and end-to-end tests against real berthd instances.
# Needs root (tests mount overlayfs and create device nodes).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cargo build --workspace --locked
cargo test --workspace --locked -- --test-threads="${BERTH_TEST_THREADS:-2}"
