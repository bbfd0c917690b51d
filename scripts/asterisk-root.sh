#!/bin/sh
# Build (or reuse) the Debian sid root holding Asterisk 22 for the end-to-end tests.
#
#   scripts/asterisk-root.sh            print the root's path, building it if needed
#   AUTOCOM_ASTERISK_ROOT=/x scripts/asterisk-root.sh
#   scripts/asterisk-root.sh --rebuild  build a fresh root even if the cached one works
#
# The root lives in a cache folder outside the clone (default
# /var/cache/autocom/asterisk-sid).  It is reused while
# `chroot <root> /usr/sbin/asterisk -V` works.  A new root is built by debootstrap
# into a temporary folder next to it and renamed into place only once Asterisk
# runs in it, so a failed build never replaces a working root.
#
# Needs: root privileges (chroot, debootstrap), the debootstrap package, and HTTP
# access to the Debian mirror (AUTOCOM_DEBIAN_MIRROR, default deb.debian.org).
# On success the last line of stdout is the root's path; messages go to stderr.
#
# scripts/bookworm-root.sh builds the Debian 12 root of the package test with this
# script: AUTOCOM_ROOT_PACKAGES (debootstrap's --include) and AUTOCOM_ROOT_CHECK (the
# command that must run in the root) change what is installed and checked.
set -eu

ROOT="${AUTOCOM_ASTERISK_ROOT:-/var/cache/autocom/asterisk-sid}"
MIRROR="${AUTOCOM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${AUTOCOM_DEBIAN_SUITE:-sid}"
PACKAGES="${AUTOCOM_ROOT_PACKAGES:-asterisk,asterisk-core-sounds-fr,asterisk-core-sounds-en}"
CHECK="${AUTOCOM_ROOT_CHECK:-/usr/sbin/asterisk -V}"
NAME="$(basename "$ROOT")"
REBUILD=no
[ "${1:-}" = "--rebuild" ] && REBUILD=yes

say() { echo "$NAME: $*" >&2; }
fail() {
    say "ERROR: $*"
    exit 1
}

works() {
    # shellcheck disable=SC2086 # CHECK is a command and its arguments
    [ -x "$1/${CHECK%% *}" ] && chroot "$1" $CHECK >/dev/null 2>&1
}

if [ "$(id -u)" != 0 ]; then
    if [ "$REBUILD" = no ] && [ -x "$ROOT/${CHECK%% *}" ]; then
        fail "the root $ROOT exists but checking it needs chroot, which needs root \
privileges: run the tests as root (sudo make test) or in a container started as root"
    fi
    fail "building the root $ROOT needs root privileges (debootstrap and \
chroot): run as root (sudo make test) or in a container started as root"
fi

if [ "$REBUILD" = no ] && works "$ROOT"; then
    # shellcheck disable=SC2086
    say "reusing $ROOT ($(chroot "$ROOT" $CHECK 2>&1))"
    echo "$ROOT"
    exit 0
fi
if [ -e "$ROOT" ] && [ "$REBUILD" = no ]; then
    say "$ROOT exists but 'chroot $ROOT $CHECK' fails: rebuilding it"
fi

command -v debootstrap >/dev/null 2>&1 ||
    fail "debootstrap is not installed: apt-get install debootstrap (Debian/Ubuntu)"

PARENT="$(dirname "$ROOT")"
mkdir -p "$PARENT" || fail "cannot create the cache folder $PARENT"
TMP="$(mktemp -d "$PARENT/.$NAME.XXXXXX")" || fail "cannot create a temporary folder in $PARENT"
chmod 0755 "$TMP" # it becomes the root's /: mktemp made it 0700, no user could enter
# Always returns 0: in dash an EXIT trap's last status becomes the script's exit
# status, and a successful build (TMP emptied) must still exit 0.
cleanup() {
    if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then rm -rf "$TMP"; fi
    return 0
}
trap cleanup EXIT
trap "exit 130" INT TERM

say "building $ROOT with debootstrap ($SUITE from $MIRROR, about a minute)"
LOG="$TMP.log"
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$TMP" "$MIRROR" >"$LOG" 2>&1; then
    tail -n 15 "$LOG" >&2
    if grep -qiE "Failed getting release file|Temporary failure resolving|Could not resolve|Connection (refused|timed out)|Network is unreachable|Couldn't download" "$LOG"; then
        fail "debootstrap could not download from $MIRROR (network?): check HTTP access \
to the mirror or set AUTOCOM_DEBIAN_MIRROR to a reachable one (log: $LOG)"
    fi
    fail "debootstrap failed (log: $LOG); the cached root, if any, was left as it was"
fi
works "$TMP" || fail "debootstrap finished but 'chroot <root> $CHECK' fails (log: $LOG)"

if [ -e "$ROOT" ]; then
    OLD="$ROOT.old.$$"
    mv "$ROOT" "$OLD"
    mv "$TMP" "$ROOT"
    rm -rf "$OLD"
else
    mv "$TMP" "$ROOT"
fi
TMP=""
rm -f "$LOG"
# shellcheck disable=SC2086
say "built $ROOT ($(chroot "$ROOT" $CHECK 2>&1))"
echo "$ROOT"
