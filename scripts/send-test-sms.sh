#!/usr/bin/env bash
# Sends one signed Twilio SMS webhook to a running omniroute, the way Twilio would.
# Usage: scripts/send-test-sms.sh [text] [from] [message-sid]
#   OMNIROUTE_URL      public URL of the endpoint (default http://127.0.0.1:8080/webhooks/twilio/demo)
#   TWILIO_AUTH_TOKEN  the token the daemon checks signatures with (default demo-auth-token)
set -euo pipefail
text=${1:-"Hello, where is my parcel?"}
from=${2:-"+8613800138000"}
sid=${3:-"SM$(openssl rand -hex 16)"}
url=${OMNIROUTE_URL:-http://127.0.0.1:8080/webhooks/twilio/demo}
token=${TWILIO_AUTH_TOKEN:-demo-auth-token}

# Twilio signs the URL followed by every POST parameter, sorted by name, as name+value.
declare -A params=([MessageSid]="$sid" [AccountSid]="AC00000000000000000000000000000000"
  [From]="$from" [To]="+15005550006" [Body]="$text" [NumMedia]="0" [SmsStatus]="received")
signed="$url"
args=()
for key in $(printf '%s\n' "${!params[@]}" | LC_ALL=C sort); do
  signed+="$key${params[$key]}"
  args+=(--data-urlencode "$key=${params[$key]}")
done
signature=$(printf '%s' "$signed" | openssl dgst -sha1 -hmac "$token" -binary | base64)

curl -sS -i "${args[@]}" -H "X-Twilio-Signature: $signature" "$url"
echo
