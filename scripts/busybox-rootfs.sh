#!/bin/sh
# Writes a busybox root filesystem tarball (from Debian's busybox-static) to $1 or stdout.
set -eu
out="${1:--}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home" "$dir/dev" "$dir/proc" "$dir/sys" "$dir/var" "$dir/usr"
chmod 1777 "$dir/tmp"
cp /bin/busybox "$dir/bin/busybox"
for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$dir/etc/group"
tar --numeric-owner --owner=0 --group=0 -C "$dir" -cf "$out" .
