#!/usr/bin/env bash
# One command: the same set-up as scripts/run.sh (warnings as errors), then every test through
# CTest. Integration tests start their own redis-server on free loopback ports and stop it.
#
#   scripts/test.sh               the build in build/, every test (what CI runs)
#   scripts/test.sh --sanitize    the same with AddressSanitizer + UBSan, in build-sanitize/
#
# Any other argument goes to ctest, e.g. `scripts/test.sh -R router` or `-L redis`.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake_args=(-DOMNIROUTE_WERROR=ON -DOMNIROUTE_BUILD_TESTS=ON)
if [[ ${1:-} == --sanitize ]]; then
  shift
  export OMNIROUTE_BUILD_DIR=${OMNIROUTE_BUILD_DIR:-build-sanitize}
  cmake_args+=(-DOMNIROUTE_SANITIZE=ON -DOMNIROUTE_BUILD_BENCH=OFF)
  # Stop at the first report, with a stack; leaks are reported at exit of each test binary.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
scripts/setup.sh "${cmake_args[@]}"
ctest --test-dir "${OMNIROUTE_BUILD_DIR:-build}" --output-on-failure -j2 "$@"
