// Builds signed Twilio webhook requests for tests and benchmarks, written from Twilio's
// documentation independently of adapters/twilio, so the two check each other.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace omniroute::testing {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded body of `params`, in the given order (the adapters' own
// encoder: encoding is not what these tests check; the signature is).
std::string form_encode(const FormParams& params);

// Base64(HMAC-SHA1(auth_token, url + sorted key+value pairs)).
std::string twilio_signature(const std::string& auth_token, const std::string& url,
                             FormParams params);

// A typical inbound SMS: MessageSid, From, To, Body and the usual extras.
FormParams twilio_sms(const std::string& message_sid, const std::string& from,
                      const std::string& body);

}  // namespace omniroute::testing
