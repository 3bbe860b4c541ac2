#!/usr/bin/env bash
# One command: the same set-up as scripts/run.sh (warnings as errors), then every test through
# CTest. Integration tests start their own redis-server on free loopback ports and stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DOMNIROUTE_WERROR=ON -DOMNIROUTE_BUILD_TESTS=ON
ctest --test-dir "${OMNIROUTE_BUILD_DIR:-build}" --output-on-failure -j2 "$@"
