#!/usr/bin/env bash
# The dependency rules of docs/architecture.md ("Dependency rules"), checked on every #include of
# the source tree. Prints each offending line as file:line and exits 1 if there is any.
# Usage: check_includes.sh <source root>
set -euo pipefail
cd "${1:?source root}"

status=0
# forbid <folder> <regex of included paths> <why>: no file under <folder> may include a match.
forbid() {
  local folder=$1 pattern=$2 why=$3 hits
  hits=$(grep -rnE --include='*.h' --include='*.cc' --exclude-dir=build --exclude-dir=node_modules "^#include \"($pattern)" "$folder" || true)
  if [[ -n $hits ]]; then
    echo "rule broken: $why"
    echo "$hits" | sed 's/^/  /'
    status=1
  fi
}

forbid common 'daemon/|api/|routing/|adapters/' "common/ is the bottom layer: it includes no other folder"
forbid adapters 'daemon/|api/|routing/' "adapters/ are pure: no daemon/, api/ or routing/"
forbid routing 'daemon/|api/|adapters/' "routing/ is the pure core: no daemon/, api/ or adapters/"
forbid proto 'daemon/|api/|routing/|adapters/' "proto/ holds schemas only"
forbid daemon/http 'daemon/(redis|ingest|router|app)/|api/|routing/|adapters/' \
  "daemon/http/ is the server alone"
forbid daemon/redis 'daemon/(http|ingest|router|app)/|api/|routing/|adapters/' \
  "daemon/redis/ is the Redis client alone"
forbid daemon/ingest 'daemon/(router|app)/|api/|routing/' "daemon/ingest/ uses http, redis, adapters"
forbid daemon/router 'daemon/(http|ingest|app)/|api/|adapters/' "daemon/router/ uses redis and routing"
# api/ talks to the router only through its contract: commands in, records and views out, and
# customer identity. Everything else in daemon/router/ is the router's own business.
forbid api 'daemon/(app|ingest)/|daemon/router/(router|router_impl|redis_store)\.h' \
  "api/ uses daemon/router/ only through command.h, records.h, views.h and identity.h"
# Only the app wires things together; nothing outside it (and its own tests) includes it.
for folder in common adapters routing proto api daemon/http daemon/redis daemon/ingest \
  daemon/router bench fuzz; do
  forbid "$folder" 'daemon/app/' "nothing includes daemon/app/ (it is the top)"
done
# Headers that no longer exist: a flat daemon/ header means a stale include.
forbid . 'daemon/[a-z_]+\.h"' "daemon/ headers live in its component folders"

exit $status
