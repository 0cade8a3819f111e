#!/bin/sh
# Installs the Debian packages berth's build, tests and quickstart need, if missing.
set -eu
PKGS="busybox-static xz-utils zstd python3 tar libseccomp-dev pkg-config procps util-linux tini runc openssl"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
