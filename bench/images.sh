#!/bin/sh
# Image benchmarks: import and load throughput of a ~200 MB image, and berthd's idle RSS.
# Prints figures; asserts nothing. Run as root: sudo ./bench/images.sh
. "$(dirname "$0")/lib.sh"
start_berthd
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
ms() { date +%s%N | cut -b1-13; }

sleep 1
echo "berthd idle RSS after start: $(rss) kB"

# ~200 MB root filesystem: busybox plus 200 files of 1 MiB of incompressible data.
mkdir -p "$W/rootfs/data"
./scripts/busybox-rootfs.sh "$W/busybox.tar"
tar -C "$W/rootfs" -xf "$W/busybox.tar"
for i in $(seq 200); do head -c 1048576 /dev/urandom >"$W/rootfs/data/f$i"; done
tar -C "$W/rootfs" -cf "$W/big.tar" .
SIZE=$(stat -c %s "$W/big.tar")
MB=$(echo "$SIZE" | awk '{printf "%.1f", $1/1e6}')
sync

t0=$(ms); B import "$W/big.tar" big:1 >/dev/null; t1=$(ms)
echo "import ${MB} MB tar: $((t1 - t0)) ms ($(echo "$SIZE $((t1 - t0))" | awk '{printf "%.0f", $1/1e3/$2}') MB/s)"
t0=$(ms); B save -o "$W/big-save.tar" big:1; t1=$(ms)
echo "save ${MB} MB image: $((t1 - t0)) ms ($(echo "$SIZE $((t1 - t0))" | awk '{printf "%.0f", $1/1e3/$2}') MB/s)"
B rmi big:1 >/dev/null
sync
t0=$(ms); B load -i "$W/big-save.tar" >/dev/null; t1=$(ms)
echo "load ${MB} MB archive: $((t1 - t0)) ms ($(echo "$SIZE $((t1 - t0))" | awk '{printf "%.0f", $1/1e3/$2}') MB/s)"
gzip -1 -c "$W/big.tar" >"$W/big.tar.gz"
t0=$(ms); B import "$W/big.tar.gz" big:gz >/dev/null; t1=$(ms)
echo "import ${MB} MB tar.gz: $((t1 - t0)) ms"
sleep 2
echo "berthd RSS after the work, idle again: $(rss) kB"
echo "berthd peak RSS: $(awk '/VmHWM/ {print $2}' "/proc/$PID/status") kB"
