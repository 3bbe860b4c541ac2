// Twilio Programmable Messaging (SMS, MMS and WhatsApp via Twilio): verifies
// X-Twilio-Signature and turns an inbound-message webhook into one ContactEvent.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.h"

namespace omniroute::adapters::twilio {

// Registered as vendor "twilio"; settings: auth_token (required, secret).
AdapterFactory factory();

// The URLs whose signature Twilio's SDKs accept for a configured URL: the URL itself, then
// with the scheme's default port added (when it has none) or with its port removed (when it
// has one). Exposed for tests.
std::vector<std::string> signed_url_variants(std::string_view public_url);

}  // namespace omniroute::adapters::twilio
