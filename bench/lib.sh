# Sourced by the benchmark scripts: builds berth in release mode and starts a berthd of
# its own in a temporary directory, removed (with its containers and cgroups) on exit.
# After `start_berthd`: BIN, W (the directory), PID (berthd), B (the CLI against it).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cargo build --release --locked -q
BIN=$PWD/target/release
W=$(mktemp -d /tmp/berth-bench-XXXXXX)
SOCK=$W/berth.sock
CG=/berth-bench-$$
B() { "$BIN/berth" -H "unix://$SOCK" "$@"; }
cleanup() {
    B ps -aq 2>/dev/null | xargs -r "$BIN/berth" -H "unix://$SOCK" rm -f >/dev/null 2>&1 || true
    [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    for c in /sys/fs/cgroup/*/"${CG#/}" /sys/fs/cgroup/"${CG#/}"; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
start_berthd() {
    "$BIN/berthd" -H "unix://$SOCK" --data-root "$W/data" --exec-root "$W/exec" --pidfile "$W/pid" \
        --config-file "$W/none.json" --cgroup-parent "$CG" >"$W/log" 2>&1 &
    PID=$!
    for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
}
