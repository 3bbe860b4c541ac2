#!/usr/bin/env bash
# One command: install what is missing, build, and run omniroute on its embedded default —
# a private redis-server it starts itself, config/omniroute.example.yaml, the demo tenant.
# Extra arguments go to `omniroute run` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The demo Twilio endpoint needs a token to check signatures against; this one is public and
# only fit for trying omniroute out (see README: sending a test webhook).
export TWILIO_AUTH_TOKEN=${TWILIO_AUTH_TOKEN:-demo-auth-token}
exec "${OMNIROUTE_BUILD_DIR:-build}/daemon/omniroute" run -c config/omniroute.example.yaml "$@"
