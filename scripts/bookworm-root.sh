#!/bin/sh
# Build (or reuse) the Debian 12 (bookworm) root where the package test installs
# autocom's .deb with dpkg (tests/e2e/test_deb.py): a minbase system with Python 3.
#
#   scripts/bookworm-root.sh            print the root's path, building it if needed
#   AUTOCOM_BOOKWORM_ROOT=/x scripts/bookworm-root.sh
#
# Default /var/cache/autocom/bookworm-root, beside the Asterisk sid root; built by
# scripts/asterisk-root.sh's debootstrap steps (into a temporary folder, renamed into
# place once `chroot <root> /usr/bin/python3 --version` works), reused while it works.
set -eu
HERE="$(dirname "$0")"
AUTOCOM_ASTERISK_ROOT="${AUTOCOM_BOOKWORM_ROOT:-/var/cache/autocom/bookworm-root}" \
AUTOCOM_DEBIAN_SUITE=bookworm \
AUTOCOM_ROOT_PACKAGES=python3 \
AUTOCOM_ROOT_CHECK="/usr/bin/python3 --version" \
    exec sh "$HERE/asterisk-root.sh" "$@"
