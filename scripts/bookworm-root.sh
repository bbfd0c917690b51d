#!/bin/sh
# Build (or reuse) the Debian 12 (bookworm) root where the package test installs
# autocom's .deb with dpkg (tests/integration/packaging/test_deb.py): a minbase system
# with Python 3, procps (/bin/kill of ExecReload) and systemd (systemd-analyze verify).
#
#   scripts/bookworm-root.sh            print the root's path, building it if needed
#   AUTOCOM_BOOKWORM_ROOT=/x scripts/bookworm-root.sh
#
# Default /var/cache/autocom/bookworm-root, beside the Asterisk sid root; built by
# scripts/asterisk-root.sh's debootstrap steps (into a temporary folder, renamed into
# place once `chroot <root> /usr/bin/systemd-analyze --version` works), reused while it
# works.
set -eu
HERE="$(dirname "$0")"
AUTOCOM_ASTERISK_ROOT="${AUTOCOM_BOOKWORM_ROOT:-/var/cache/autocom/bookworm-root}" \
AUTOCOM_DEBIAN_SUITE=bookworm \
AUTOCOM_ROOT_PACKAGES=python3,procps,systemd \
AUTOCOM_ROOT_CHECK="/usr/bin/systemd-analyze --version" \
    exec sh "$HERE/asterisk-root.sh" "$@"
