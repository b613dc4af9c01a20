#!/bin/sh
# deps.sh PACKAGE... — install the Debian packages that are missing.
# Idempotent: does nothing when all are installed; runs `apt-get update` once,
# and only when something must be installed.
set -eu
missing=""
for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all $# packages installed"; exit 0; }
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
