#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test of `flotilla plan -o html`
# (tools/pipeline TestPlanHTMLInChromium). A no-op when it is there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo -n"
fi
echo "installing Debian's chromium (for the plan HTML browser test)..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || true
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
