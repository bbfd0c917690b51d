#!/usr/bin/env bash
# Install the Debian packages named as arguments, if any is missing.
# Needs root (as on a fresh Debian 12 machine); says so clearly otherwise.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "autocom: these Debian packages are missing: ${missing[*]}" >&2
  echo "autocom: run as root, or install them: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "autocom: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
