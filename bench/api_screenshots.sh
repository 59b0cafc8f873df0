#!/usr/bin/env bash
# Screenshots of the page on a phone-sized headless chromium, for a person to look at:
# runs the browser test with HOIDAP_SCREENSHOTS set; the PNGs land in bench/out/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
HOIDAP_SCREENSHOTS="${1:-bench/out/screenshots}" .venv/bin/python -m pytest -q tests/test_api_browser.py
ls -l "${1:-bench/out/screenshots}"
