#include "tests/support/twilio_signer.h"

#include <algorithm>

#include "adapters/common/form.h"
#include "common/crypto.h"

namespace omniroute::testing {

std::string form_encode(const FormParams& params) {
  std::vector<adapters::form::Field> fields;
  fields.reserve(params.size());
  for (const auto& [key, value] : params) fields.push_back({key, value});
  return adapters::form::encode(fields);
}

std::string twilio_signature(const std::string& auth_token, const std::string& url,
                             FormParams params) {
  std::sort(params.begin(), params.end());
  std::string data = url;
  for (const auto& [k, v] : params) data += k + v;
  return crypto::base64_encode(crypto::hmac(crypto::Digest::sha1, auth_token, data));
}

FormParams twilio_sms(const std::string& message_sid, const std::string& from,
                      const std::string& body) {
  return {{"ToCountry", "US"},
          {"ToState", "CA"},
          {"SmsMessageSid", message_sid},
          {"NumMedia", "0"},
          {"ToCity", "SAN FRANCISCO"},
          {"FromZip", "94105"},
          {"SmsSid", message_sid},
          {"FromState", "CA"},
          {"SmsStatus", "received"},
          {"FromCity", "SAN FRANCISCO"},
          {"Body", body},
          {"FromCountry", "US"},
          {"To", "+15005550006"},
          {"MessagingServiceSid", "MG00000000000000000000000000000000"},
          {"ToZip", "94105"},
          {"NumSegments", "1"},
          {"MessageSid", message_sid},
          {"AccountSid", "AC00000000000000000000000000000000"},
          {"From", from},
          {"ApiVersion", "2010-04-01"}};
}

}  // namespace omniroute::testing
