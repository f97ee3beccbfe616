#!/usr/bin/env bash
# Installs the Debian packages the project needs, when they are missing:
#   fonts-noto-core  Noto fonts (Arabic and Latin) for certificate PDFs
#   chromium         the browser the browser tests drive (only with --browser)
# Needs root and apt-get. Without them it says what to install and leaves the decision to you:
# the application still runs, and the browser tests skip outside CI.
set -euo pipefail

want=()
[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || want+=(fonts-noto-core)
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  want+=(chromium)
fi
[ ${#want[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Please install these Debian packages: ${want[*]} (sudo apt-get install -y ${want[*]})" >&2
  exit 0
fi
echo "Installing Debian packages: ${want[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
