#!/usr/bin/env bash
# Installs what is missing (Debian bookworm packages only) and builds omniroute into build/.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Usage: scripts/setup.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config ccache git
  libboost1.81-all-dev libboost-json1.81-dev libboost-url1.81-dev
  libhiredis-dev libprotobuf-dev protobuf-compiler libyaml-cpp-dev catch2
  libssl-dev libsystemd-dev libgmime-3.0-dev libjemalloc-dev libre2-dev libcctz-dev tzdata
  redis-server redis-tools systemd curl openssl
  chromium chromium-driver
)
# The browser tests (tests/browser/) run on Node.js with npm. Use the machine's own if it has one
# (a NodeSource nodejs bundles npm and conflicts with Debian's npm package); else Debian's.
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages and not root; run as root (or: sudo $0)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The browser tests' packages (playwright-core, pinned in package-lock.json; it drives the
# chromium installed above and downloads no browser). `npm ci` again only when the lock changed.
lock_sum=$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)
stamp=tests/browser/node_modules/.omniroute-lock-sha256
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_sum" ]]; then
  echo "setup: npm ci in tests/browser"
  (cd tests/browser && npm ci --no-audit --no-fund)
  echo "$lock_sum" >"$stamp"
fi

# redis-server is started by omniroute itself (embedded default) and by the tests; the
# distribution's own service is not needed.
BUILD_DIR=${OMNIROUTE_BUILD_DIR:-build}
BUILD_TYPE=${OMNIROUTE_BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
cmake --build "$BUILD_DIR" -j"${OMNIROUTE_JOBS:-2}"
