#!/usr/bin/env bash
# Take a screenshot of each portal page into docs/portal/ (for docs/portal.md): runs the
# portal's browser tests (real chromium, real Asterisk) with AUTOCOM_PORTAL_SCREENSHOTS set.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/portal
AUTOCOM_PORTAL_SCREENSHOTS="$PWD/docs/portal" .venv/bin/pytest -q tests/e2e/test_portal_browser.py
ls -l docs/portal
