// Fuzz target for the Twilio adapter: verify() and normalize() on arbitrary method, query and
// body. A correctly signed request must verify, and every event built must survive protobuf.
//
// Input layout: one flag byte, then the query string up to the first '\n', then the body.
// Flags: bit 0 = GET instead of POST, bit 1 = send a signature header, bit 2 = make that
// signature correct (computed here from the decoded params).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/common/form.h"
#include "adapters/twilio/twilio.h"
#include "common/crypto.h"
#include "tests/support/canonical_proto.h"

using namespace omniroute;
using namespace omniroute::adapters;

namespace {

constexpr std::string_view kToken = "fuzz-auth-token";
constexpr std::string_view kBaseUrl = "https://omniroute.example.com/webhooks/twilio/fuzz";

const Adapter& adapter() {
  static const auto instance =
      twilio::factory().make(Settings{{"auth_token", std::string(kToken)}});
  if (!instance.has_value()) std::abort();
  return **instance;
}

// The signature Twilio would send, or nullopt when the params are not a valid form.
std::optional<std::string> correct_signature(const std::string& url, std::string_view params,
                                             bool sign_params) {
  std::string data = url;
  if (sign_params) {
    auto form = form::parse(params);
    if (!form.has_value()) return std::nullopt;
    auto fields = form->fields();
    std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
      return a.key < b.key || (a.key == b.key && a.value < b.value);
    });
    for (const auto& field : fields) data.append(field.key).append(field.value);
  }
  return crypto::base64_encode(crypto::hmac(crypto::Digest::sha1, kToken, data));
}

void check_events(const std::vector<v1::ContactEvent>& events) {
  if (events.size() > 1) std::abort();
  for (const auto& event : events) {
    if (event.vendor() != "twilio" || event.vendor_message_id().empty()) std::abort();
    if (event.attachments_size() > 10) std::abort();
    std::string bytes;
    v1::ContactEvent copy;
    if (!event.SerializeToString(&bytes) || !copy.ParseFromString(bytes)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto newline = rest.find('\n');
  const auto query = rest.substr(0, newline);
  const auto body =
      newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);

  const bool get = flags & 1;
  const std::string url = std::string(kBaseUrl) + (query.empty() ? "" : "?" + std::string(query));
  std::optional<std::string> signature;
  if (flags & 2) signature = std::string(rest.substr(0, std::min<std::size_t>(rest.size(), 28)));
  const auto parsed_query = form::parse_query(query);
  const bool json_scheme = parsed_query.has_value() && parsed_query->contains("bodySHA256");
  const auto correct = correct_signature(url, body, !get && !json_scheme);
  if ((flags & 4) && correct) signature = correct;

  WebhookRequest request;
  request.method = get ? "GET" : "POST";
  request.path = "/webhooks/twilio/fuzz";
  request.query = query;
  request.public_url = url;
  request.body = body;
  if (signature) request.headers.emplace_back("x-twilio-signature", *signature);

  // As the daemon calls it: verify, then normalize with what verify parsed.
  ParsedRequest parsed;
  auto verdict = adapter().verify(request, parsed);
  // A request signed the way Twilio signs must verify, unless the query itself is malformed
  // or asks for the JSON scheme (whose body hash the fuzzer rarely matches).
  const bool plain_query = parsed_query.has_value() && !json_scheme;
  if ((flags & 4) && correct && plain_query && !verdict.has_value()) std::abort();
  if (verdict.has_value() != adapter().verify(request).has_value()) std::abort();

  auto events = adapter().normalize(request, parsed);
  if (events.has_value()) check_events(*events);
  // Reusing verify's parse must not change the outcome.
  auto fresh = adapter().normalize(request);
  if (events.has_value() != fresh.has_value()) std::abort();
  if (events.has_value()) {
    if (events->size() != fresh->size()) std::abort();
    for (std::size_t i = 0; i < events->size(); ++i) {
      if (omniroute::testing::canonical((*events)[i]) != omniroute::testing::canonical((*fresh)[i]))
        std::abort();
    }
  }
  (void)adapter().success_reply();
  return 0;
}
