#!/bin/sh
# Build autocom's Debian package with dpkg-deb (no debhelper needed).
#
#   scripts/build-deb.sh [OUTDIR]     (make deb)  -> OUTDIR/autocom_<version>_amd64.deb
#
# Layout: /opt/autocom/venv (its own virtualenv on Debian's /usr/bin/python3, with
# autocom and its dependencies), /usr/bin/autocom -> the venv's, /etc/autocom (the
# examples as conffiles: an upgrade keeps an admin's edits), /usr/share/autocom/dialplan,
# /lib/systemd/system/autocom.service (packaging/autocom.service), the docs in
# /usr/share/doc/autocom.  The venv is built for Debian 12's Python 3.11: build on
# Debian 12.  pip's cache (PIP_CACHE_DIR, default /var/cache/autocom/pip) is kept
# between builds, so a rebuild downloads nothing.  The last line of stdout is the
# package's path.
set -eu
HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(mkdir -p "${1:-$HERE/dist}" && cd "${1:-$HERE/dist}" && pwd)"
PYTHON=/usr/bin/python3
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-/var/cache/autocom/pip}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { echo "build-deb: $*" >&2; }
[ -x "$PYTHON" ] || { say "ERROR: $PYTHON is missing: apt-get install python3-venv"; exit 1; }
command -v dpkg-deb >/dev/null || { say "ERROR: dpkg-deb is missing: apt-get install dpkg"; exit 1; }
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$HERE/autocom/__init__.py")"
ARCH="$(dpkg --print-architecture)"
PYVER="$($PYTHON -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

WORK="$(mktemp -d)"
cleanup() { rm -rf "$WORK"; return 0; }
trap cleanup EXIT
ROOT="$WORK/root"
VENV="$ROOT/opt/autocom/venv"

say "autocom $VERSION for $ARCH (Python $PYVER), pip cache $PIP_CACHE_DIR"
# the source, copied: setuptools writes build/ and *.egg-info beside what it builds
mkdir -p "$WORK/src"
(cd "$HERE" && cp -r pyproject.toml README.md autocom apps "$WORK/src/")
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
$PYTHON -m venv "$VENV"
"$VENV/bin/pip" install -q "$WORK/src" >&2
# the venv was made in $ROOT: its scripts name that path; they run from /opt/autocom
grep -rlI "$ROOT" "$VENV/bin" "$VENV/pyvenv.cfg" | while read -r f; do
    sed -i "s|$ROOT||g" "$f"
done
find "$VENV" -name __pycache__ -prune -exec rm -rf {} +

mkdir -p "$ROOT/usr/bin" "$ROOT/etc/autocom" "$ROOT/usr/share/autocom" \
    "$ROOT/lib/systemd/system" "$ROOT/usr/share/doc/autocom" "$ROOT/DEBIAN"
ln -s /opt/autocom/venv/bin/autocom "$ROOT/usr/bin/autocom"
cp -r "$HERE/dialplan" "$ROOT/usr/share/autocom/dialplan"
for f in "$HERE"/examples/*.yaml "$HERE"/examples/*.csv; do cp "$f" "$ROOT/etc/autocom/"; done
cp -r "$HERE/examples/departments" "$ROOT/etc/autocom/"   # departments.yaml's fragments
# the service may write only /var/lib/autocom (ProtectSystem=strict)
sed -i 's|^\(\s*path:\) var/autocom.sqlite|\1 /var/lib/autocom/autocom.sqlite|' \
    "$ROOT/etc/autocom/autocom.yaml"
sed -i 's|path: var/calls.sqlite|path: /var/lib/autocom/calls.sqlite|' "$ROOT/etc/autocom/accounting.yaml"
grep -q "/var/lib/autocom/autocom.sqlite" "$ROOT/etc/autocom/autocom.yaml" ||
    { say "ERROR: examples/autocom.yaml has no state path to move to /var/lib/autocom"; exit 1; }
install -m 0644 "$HERE/packaging/autocom.service" "$ROOT/lib/systemd/system/autocom.service"
cp "$HERE"/docs/deployment.md "$HERE"/docs/upgrade.md "$HERE"/docs/configuration.md \
    "$ROOT/usr/share/doc/autocom/"
(cd "$ROOT" && find etc -type f | sed 's|^|/|' | sort) >"$ROOT/DEBIAN/conffiles"
install -m 0755 "$HERE"/packaging/debian/postinst "$HERE"/packaging/debian/prerm \
    "$HERE"/packaging/debian/postrm "$ROOT/DEBIAN/"
NEXT="$(echo "$PYVER" | awk -F. '{print $1"."$2+1}')"
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: autocom
Version: $VERSION
Architecture: $ARCH
Maintainer: autocom maintainers <autocom@localhost>
Depends: python3 (>= $PYVER), python3 (<< $NEXT), passwd, procps
Recommends: asterisk | xivo, redis-server
Section: comm
Priority: optional
Installed-Size: $(du -sk "$ROOT" | cut -f1)
Homepage: https://localhost/autocom
Description: PABX features for Asterisk/XiVO (FastAGI + ARI server)
 Call rights by time slot, forward blocking, speed dials, boss/secretary
 filtering, an enriched directory and IVRs, driven by YAML rule files in
 /etc/autocom; the dialplan to include is in /usr/share/autocom/dialplan.
CONTROL
DEB="$OUT/autocom_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$ROOT" "$DEB" >&2
say "built $DEB"
echo "$DEB"
