#!/usr/bin/env bash
# The README's picture of report.html: the demo run (tiny random models) opened in headless Chromium
# with the best-scoring contig's chunk track open, saved as docs/report-screenshot.png.
# Needs a built checkout (npm run build:ts) and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node dist/src/cli/main.js demo -o "$work/demo" --no-progress >/dev/null 2>&1
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1250 \
  --screenshot="$work/report.png" "file://$work/demo/report.html#open=demo_contig_9" 2>/dev/null
mv "$work/report.png" docs/report-screenshot.png
echo "docs/report-screenshot.png"
