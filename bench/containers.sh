#!/bin/sh
# Container benchmarks: `run --rm true` latency, 50 detached starts, shim memory, and start
# cost with 10 and with 200 containers running. Prints figures; asserts nothing.
# Run as root: sudo ./bench/containers.sh
. "$(dirname "$0")/lib.sh"
start_berthd
./scripts/busybox-rootfs.sh | B import - busybox >/dev/null

# Median and 90th percentile of N timed runs of a command, in ms.
timed() {
    n=$1; shift
    for _ in $(seq "$n"); do
        t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 ))
    done | sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms, p90 %.1f ms (n=%d)", a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000, NR}'
}

B run --rm --network none busybox true >/dev/null   # warm up
echo "run --rm --network none busybox true: $(timed 40 B run --rm --network none busybox true)"
echo "run --rm busybox true (own netns): $(timed 20 B run --rm busybox true)"

t0=$(date +%s%N)
for i in $(seq 50); do B run -d --network none --name "s$i" busybox sleep 100000 >/dev/null; done
t1=$(date +%s%N)
echo "50 x run -d ... sleep: $(( (t1 - t0) / 1000000 )) ms in total"
sleep 1
echo "shim RSS with 50 running: $(pgrep -f "berth-shim --id" | xargs -I{} awk '/VmRSS/ {print $2}' /proc/{}/status | awk '{s+=$1; n++} END {printf "mean %.0f kB, max over %d shims", s/n, n}') $(pgrep -f "berth-shim --id" | xargs -I{} awk '/VmRSS/ {print $2}' /proc/{}/status | sort -n | tail -1) kB"
echo "berthd RSS with 50 running: $(awk '/VmRSS/ {print $2}' /proc/$PID/status) kB"

B ps -aq | xargs -r "$BIN/berth" -H "unix://$SOCK" rm -f >/dev/null
for i in $(seq 10); do B run -d --network none busybox sleep 100000 >/dev/null; done
echo "with 10 running, run --rm true: $(timed 40 B run --rm --network none busybox true)"
for i in $(seq 190); do B run -d --network none busybox sleep 100000 >/dev/null; done
echo "with 200 running, run --rm true: $(timed 40 B run --rm --network none busybox true)"
echo "berthd RSS with 200 running: $(awk '/VmRSS/ {print $2}' /proc/$PID/status) kB"
