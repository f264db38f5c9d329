#!/usr/bin/env bash
# Installs the Debian packages the tests drive besides the engines:
# Chromium for the browser test of `flotilla plan -o html` (tools/pipeline
# TestPlanHTMLInChromium) and strace for the hostile corpus' kills inside
# render's swap (tests/hostile TestRenderKilledInItsSwap). A no-op when
# both are there.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v strace >/dev/null 2>&1 || missing+=(strace)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo -n"
fi
echo "installing Debian's ${missing[*]} (for the browser and hostile-input tests)..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
chromium --version
strace -V | head -1
