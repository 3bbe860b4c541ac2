#!/usr/bin/env bash
# Checks systemd/omniroute.service with `systemd-analyze verify` and the sysusers file with a
# dry run. Any complaint about our files fails the test. Exit 77 (skipped) without systemd tools.
# Usage: verify_unit.sh <source dir> <built omniroute binary or empty>
set -euo pipefail
source_dir=$1
binary=${2:-}

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze is not installed; cannot verify systemd/omniroute.service"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# verify insists that ExecStart's binary exists: point it at the built one, else /bin/true.
if [[ -z $binary || ! -x $binary ]]; then
  echo "note: omniroute binary not built; verifying with ExecStart=/bin/true"
  binary=/bin/true
fi
sed "s|^ExecStart=/usr/local/bin/omniroute|ExecStart=$binary|" \
  "$source_dir/systemd/omniroute.service" >"$work/omniroute.service"
grep -q "^ExecStart=$binary " "$work/omniroute.service" || {
  echo "FAIL: ExecStart=/usr/local/bin/omniroute ... not found in the unit"
  exit 1
}

status=0
# verify exits 0 on unknown keys and bad values and only warns: any line about our unit fails.
output=$(cd "$work" && systemd-analyze verify ./omniroute.service 2>&1) || status=$?
echo "$output"
if [[ $status -ne 0 ]] || grep -q "omniroute" <<<"$output"; then
  echo "FAIL: systemd-analyze verify complained about omniroute.service (exit $status)"
  exit 1
fi
echo "ok: systemd-analyze verify omniroute.service"

if command -v systemd-sysusers >/dev/null; then
  mkdir -p "$work/root"
  output=$(systemd-sysusers --dry-run --root="$work/root" \
    "$source_dir/systemd/omniroute.sysusers.conf" 2>&1)
  echo "$output"
  grep -q "Creating user 'omniroute'" <<<"$output" || {
    echo "FAIL: omniroute.sysusers.conf does not create the user omniroute"
    exit 1
  }
  echo "ok: systemd-sysusers --dry-run omniroute.sysusers.conf"
fi
