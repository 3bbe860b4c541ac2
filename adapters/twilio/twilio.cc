// Twilio Programmable Messaging adapter: signature scheme and field mapping as described in
// docs/adapters.md ("Twilio Programmable Messaging").
#include "adapters/twilio/twilio.h"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>

#include "adapters/common/form.h"
#include "common/crypto.h"

namespace omniroute::adapters::twilio {
namespace {

constexpr std::string_view kVendor = "twilio";
constexpr std::string_view kWhatsAppPrefix = "whatsapp:";
constexpr std::size_t kMaxMedia = 10;  // Twilio's own cap on media per message

// A Twilio webhook has a few dozen short fields; Body is at most 1600 characters.
constexpr form::Limits kFormLimits{
    .max_fields = 256, .max_key_bytes = 256, .max_value_bytes = 64 * 1024};

constexpr std::array<SettingSpec, 1> kSettings{{
    {"auth_token", true, true,
     "Auth token of the Twilio account (or subaccount) that owns the numbers; it signs every "
     "webhook"},
}};

// Twilio field → ContactEvent attribute, copied only when present and non-empty.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kAttributeFields{{
    {"FromCountry", "from_country"},
    {"FromState", "from_state"},
    {"FromCity", "from_city"},
    {"NumSegments", "num_segments"},
    {"AccountSid", "account_sid"},
    {"MessagingServiceSid", "messaging_service_sid"},
    {"WaId", "wa_id"},
    {"MessageType", "message_type"},
    {"ButtonPayload", "button_payload"},
    {"Latitude", "latitude"},
    {"Longitude", "longitude"},
}};

// The other fields normalize() reads, by name; with kAttributeFields, what KnownFields finds.
enum Known : std::size_t {
  kMessageSid,
  kSmsMessageSid,
  kSmsSid,
  kFrom,
  kTo,
  kProfileName,
  kBody,
  kNumMedia,
  kMessageStatus,
  kSmsStatus,
  kFirstAttribute,  // kAttributeFields[i] is kFirstAttribute + i
};
constexpr std::array<std::string_view, kFirstAttribute> kKnownFields{
    "MessageSid",  "SmsMessageSid", "SmsSid",   "From",          "To",
    "ProfileName", "Body",          "NumMedia", "MessageStatus", "SmsStatus"};
constexpr std::size_t kKnownCount = kFirstAttribute + kAttributeFields.size();

constexpr std::string_view known_name(std::size_t i) {
  return i < kFirstAttribute ? kKnownFields[i] : kAttributeFields[i - kFirstAttribute].first;
}

// The known names grouped by length, so that a field's key is compared with at most the few
// names of its own length. Unused slots hold kKnownCount.
constexpr std::size_t kMaxKnownLength = 19;  // "MessagingServiceSid"
constexpr std::size_t kSameLength = 4;       // at most 4 known names share a length
constexpr auto kKnownByLength = [] {
  std::array<std::array<std::size_t, kSameLength>, kMaxKnownLength + 1> table{};
  for (auto& names : table) names.fill(kKnownCount);
  for (std::size_t i = 0; i < kKnownCount; ++i) {
    auto& names = table.at(known_name(i).size());  // out of range: raise kMaxKnownLength
    std::size_t slot = 0;
    while (names.at(slot) != kKnownCount) ++slot;  // out of range: raise kSameLength
    names[slot] = i;
  }
  return table;
}();

// The first value of every known field, found in one pass over the form: what Form::get would
// return for each name, without one scan of the form per name.
class KnownFields {
 public:
  explicit KnownFields(const form::Form& params) {
    for (const auto& field : params.fields()) {
      if (field.key.size() > kMaxKnownLength) continue;
      for (const std::size_t i : kKnownByLength[field.key.size()]) {
        if (i == kKnownCount) break;
        if (known_name(i) != field.key) continue;
        if (!values_[i]) values_[i] = field.value;
        break;
      }
    }
  }
  std::optional<std::string_view> get(std::size_t i) const { return values_[i]; }
  std::string_view value_or_empty(std::size_t i) const {
    return values_[i].value_or(std::string_view{});
  }

 private:
  std::array<std::optional<std::string_view>, kKnownCount> values_{};
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view strip_whatsapp(std::string_view address) {
  if (address.starts_with(kWhatsAppPrefix)) address.remove_prefix(kWhatsAppPrefix.size());
  return address;
}

// A field with the first 8 bytes of its key as a big-endian number (zero-padded): comparing
// two such numbers orders the keys as comparing their bytes would, whenever they differ, so
// most comparisons of the sort need no memcmp (Twilio's keys mostly differ early).
struct SortKey {
  std::uint64_t prefix;
  const form::FieldView* field;
};
using SortedFields = std::vector<SortKey>;

std::uint64_t key_prefix(std::string_view key) {
  std::uint64_t prefix = 0;
  const std::size_t n = std::min<std::size_t>(key.size(), 8);
  for (std::size_t i = 0; i < 8; ++i) {
    prefix = (prefix << 8) | (i < n ? static_cast<unsigned char>(key[i]) : 0U);
  }
  return prefix;
}

// Every param, sorted by key then value in byte order: the order Twilio signs them in.
SortedFields sorted_fields(const form::Form& params) {
  SortedFields sorted;
  sorted.reserve(params.size());
  for (const auto& field : params.fields()) sorted.push_back({key_prefix(field.key), &field});
  std::sort(sorted.begin(), sorted.end(), [](const SortKey& a, const SortKey& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return std::tie(a.field->key, a.field->value) < std::tie(b.field->key, b.field->value);
  });
  return sorted;
}

bool has_duplicate_pair(const SortedFields& sorted) {
  return std::adjacent_find(sorted.begin(), sorted.end(), [](const SortKey& a, const SortKey& b) {
           return *a.field == *b.field;
         }) != sorted.end();
}

// URL + every param as key+value in sorted order. Twilio's SDKs disagree on whether an exact
// duplicate pair counts once (python) or every time (node), so the caller may ask for either.
std::string signing_payload(std::string_view url, const SortedFields& sorted, bool dedupe) {
  std::size_t size = url.size();
  for (const auto& [prefix, field] : sorted) size += field->key.size() + field->value.size();
  // Sized once and filled by copies: appending 41 pieces one by one cost more than the copies.
  std::string payload(size, '\0');
  char* at = payload.data();
  auto put = [&at](std::string_view piece) {
    if (piece.empty()) return;  // a view of nothing may have no address to copy from
    std::memcpy(at, piece.data(), piece.size());
    at += piece.size();
  };
  put(url);
  const form::FieldView* previous = nullptr;
  for (const auto& [prefix, field] : sorted) {
    if (dedupe && previous != nullptr && *previous == *field) continue;
    put(field->key);
    put(field->value);
    previous = field;
  }
  payload.resize(static_cast<std::size_t>(at - payload.data()));
  return payload;
}

// 0..10 written as plain decimal digits; anything else is a malformed request.
Result<std::size_t> parse_num_media(std::optional<std::string_view> text) {
  if (!text) return std::size_t{0};
  const bool digits_only =
      !text->empty() && text->size() <= 2 &&
      std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
  std::size_t n = 0;
  if (digits_only) {
    for (char c : *text) n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!digits_only || n > kMaxMedia) {
    return make_error(Errc::invalid_input,
                      "NumMedia must be an integer from 0 to " + std::to_string(kMaxMedia));
  }
  return n;
}

v1::AttachmentType attachment_type(std::string_view content_type) {
  const auto major = content_type.substr(0, content_type.find('/'));
  auto is = [major](std::string_view name) {
    return std::equal(major.begin(), major.end(), name.begin(), name.end(), [](char a, char b) {
      return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
    });
  };
  if (is("image")) return v1::ATTACHMENT_TYPE_IMAGE;
  if (is("audio")) return v1::ATTACHMENT_TYPE_AUDIO;
  if (is("video")) return v1::ATTACHMENT_TYPE_VIDEO;
  return v1::ATTACHMENT_TYPE_FILE;
}

Result<void> add_attachments(const form::Form& params, const KnownFields& known,
                             v1::ContactEvent& event) {
  auto count = parse_num_media(known.get(kNumMedia));
  if (!count) return count.error();
  for (std::size_t i = 0; i < *count; ++i) {
    const auto n = std::to_string(i);
    const auto url = params.value_or_empty("MediaUrl" + n);
    if (url.empty()) {
      return make_error(Errc::invalid_input,
                        "MediaUrl" + n + " missing although NumMedia is " + std::to_string(*count));
    }
    const auto content_type = params.value_or_empty("MediaContentType" + n);
    auto* attachment = event.add_attachments();
    attachment->set_type(attachment_type(content_type));
    attachment->set_url(std::string(url));
    attachment->set_content_type(std::string(content_type));
  }
  return {};
}

// A delivery status callback (sent, delivered, failed, read...) rather than a message.
bool is_status_callback(const KnownFields& known) {
  auto status = known.get(kMessageStatus);
  if (!status) status = known.get(kSmsStatus);
  return status && *status != "received" && !known.get(kBody);
}

Result<v1::ContactEvent> to_event(const form::Form& params, const KnownFields& known) {
  std::string_view sid = known.value_or_empty(kMessageSid);
  if (sid.empty()) sid = known.value_or_empty(kSmsMessageSid);
  if (sid.empty()) sid = known.value_or_empty(kSmsSid);
  if (sid.empty()) return make_error(Errc::invalid_input, "MessageSid missing");
  const auto from = known.value_or_empty(kFrom);
  if (from.empty()) return make_error(Errc::invalid_input, "From missing");
  const auto to = known.value_or_empty(kTo);
  if (to.empty()) return make_error(Errc::invalid_input, "To missing");

  const bool whatsapp = from.starts_with(kWhatsAppPrefix);
  const auto sender = strip_whatsapp(from);
  const auto recipient = strip_whatsapp(to);

  v1::ContactEvent event;
  event.set_channel(whatsapp ? v1::CHANNEL_WHATSAPP : v1::CHANNEL_SMS);
  event.set_vendor(std::string(kVendor));
  event.set_vendor_message_id(std::string(sid));
  event.mutable_sender()->set_kind(whatsapp ? "whatsapp" : "phone");
  event.mutable_sender()->set_value(std::string(sender));
  event.mutable_sender()->set_display_name(std::string(known.value_or_empty(kProfileName)));
  event.set_recipient(std::string(recipient));
  std::string conversation_key;
  conversation_key.reserve(8 + recipient.size() + sender.size());
  conversation_key.append("twilio:").append(recipient).append(":").append(sender);
  event.set_conversation_key(std::move(conversation_key));
  event.set_text(std::string(known.value_or_empty(kBody)));
  if (auto added = add_attachments(params, known, event); !added) return added.error();
  auto& attributes = *event.mutable_attributes();
  for (std::size_t i = 0; i < kAttributeFields.size(); ++i) {
    const auto value = known.value_or_empty(kFirstAttribute + i);
    if (!value.empty()) attributes[std::string(kAttributeFields[i].second)] = std::string(value);
  }
  return event;
}

class TwilioAdapter final : public Adapter {
 public:
  explicit TwilioAdapter(std::string auth_token) : auth_token_(std::move(auth_token)) {}

  using Adapter::normalize;
  using Adapter::verify;

  Result<void> verify(const WebhookRequest& request, ParsedRequest& parsed) const override {
    try {
      return check_signature(request, parsed);
    } catch (const std::exception&) {  // only allocation failure can get here
      return make_error(Errc::internal, "twilio: out of memory while verifying");
    }
  }

  Result<std::vector<v1::ContactEvent>> normalize(const WebhookRequest& request,
                                                  ParsedRequest& parsed) const override {
    try {
      return to_events(request, parsed);
    } catch (const std::exception&) {
      return make_error(Errc::internal, "twilio: out of memory while normalising");
    }
  }

  WebhookReply success_reply() const override {
    return {200, "text/xml", R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)"};
  }
  int reject_status() const override { return 403; }

 private:
  // The query and body as forms, decoded on first use and kept in `parsed`.
  static Result<const form::Form*> query_form(const WebhookRequest& request,
                                              ParsedRequest& parsed) {
    if (!parsed.query) {
      auto query = form::parse_query(request.query, kFormLimits);
      if (!query) return query.error();
      parsed.query = std::move(*query);
    }
    return &*parsed.query;
  }
  static Result<const form::Form*> body_form(const WebhookRequest& request, ParsedRequest& parsed) {
    if (!parsed.body) {
      auto body = form::parse(request.body, kFormLimits);
      if (!body) return body.error();
      parsed.body = std::move(*body);
    }
    return &*parsed.body;
  }

  Result<void> check_signature(const WebhookRequest& request, ParsedRequest& parsed) const {
    const auto signature = trim(request.header("x-twilio-signature"));
    if (signature.empty()) {
      return make_error(Errc::unauthorized, "X-Twilio-Signature header missing");
    }
    if (request.public_url.empty()) {
      return make_error(Errc::internal, "twilio: no public URL known for this endpoint");
    }
    auto query = query_form(request, parsed);
    if (!query) {
      return make_error(Errc::unauthorized,
                        "signature cannot be checked: query string: " + query.error().message);
    }
    if (auto body_hash = (*query)->get("bodySHA256"))
      return check_json(request, signature, *body_hash);
    if (request.method == "GET") return check_payloads(request, signature, {});

    auto params = body_form(request, parsed);
    if (!params) {
      return make_error(Errc::unauthorized,
                        "signature cannot be checked: body: " + params.error().message);
    }
    const auto sorted = sorted_fields(**params);
    if (check_payloads(request, signature, &sorted, false)) return {};
    if (has_duplicate_pair(sorted) && check_payloads(request, signature, &sorted, true)) return {};
    return mismatch();
  }

  // JSON bodies: the URL (which carries bodySHA256) alone is signed, and the hash binds the body.
  Result<void> check_json(const WebhookRequest& request, std::string_view signature,
                          std::string_view body_hash) const {
    if (!check_payloads(request, signature, nullptr)) return mismatch();
    const auto actual = crypto::hex_encode(crypto::digest(crypto::Digest::sha256, request.body));
    if (!crypto::hex_equal_constant_time(actual, body_hash)) {
      return make_error(Errc::unauthorized, "request body does not match its bodySHA256");
    }
    return {};
  }

  // Tries every URL form the SDKs accept, the configured one first (the only one needed when
  // the vendor and the config agree); `params` null means the URL alone is signed. Which URL
  // form matched is no secret: the comparison of each expected signature is constant-time.
  Result<void> check_payloads(const WebhookRequest& request, std::string_view signature,
                              const SortedFields* params, bool dedupe = false) const {
    auto matches = [&](std::string_view url) {
      const auto payload = params ? signing_payload(url, *params, dedupe) : std::string(url);
      const auto expected =
          crypto::base64_encode(crypto::hmac(crypto::Digest::sha1, auth_token_, payload));
      return crypto::equal_constant_time(expected, signature);
    };
    if (matches(request.public_url)) return {};
    const auto variants = signed_url_variants(request.public_url);
    for (std::size_t i = 1; i < variants.size(); ++i) {
      if (matches(variants[i])) return {};
    }
    return mismatch();
  }

  static Error mismatch() {
    return make_error(Errc::unauthorized,
                      "X-Twilio-Signature does not match the request (check auth_token and the "
                      "public URL configured for this endpoint)");
  }

  Result<std::vector<v1::ContactEvent>> to_events(const WebhookRequest& request,
                                                  ParsedRequest& parsed) const {
    auto query = query_form(request, parsed);
    if (!query) return query.error();
    if ((*query)->contains("bodySHA256")) {
      return make_error(Errc::invalid_input,
                        "JSON webhooks (bodySHA256) are not Twilio Messaging inbound messages");
    }
    auto params = request.method == "GET" ? query : body_form(request, parsed);
    if (!params) return params.error();
    const KnownFields known(**params);
    if (is_status_callback(known)) return std::vector<v1::ContactEvent>{};
    auto event = to_event(**params, known);
    if (!event) return event.error();
    std::vector<v1::ContactEvent> events;
    events.push_back(std::move(*event));
    return events;
  }

  std::string auth_token_;
};

Result<std::unique_ptr<Adapter>> make(const Settings& settings) {
  auto token = settings.find("auth_token");
  if (token == settings.end() || token->second.empty()) {
    return make_error(Errc::invalid_input, "twilio: auth_token is required and must not be empty");
  }
  return std::unique_ptr<Adapter>(std::make_unique<TwilioAdapter>(token->second));
}

}  // namespace

std::vector<std::string> signed_url_variants(std::string_view public_url) {
  std::vector<std::string> variants{std::string(public_url)};
  try {
    auto parsed = boost::urls::parse_uri(public_url);
    if (!parsed || !parsed->has_authority()) return variants;
    boost::urls::url url(*parsed);
    if (url.has_port()) {
      url.remove_port();
    } else if (url.scheme_id() == boost::urls::scheme::https) {
      url.set_port_number(443);
    } else if (url.scheme_id() == boost::urls::scheme::http) {
      url.set_port_number(80);
    } else {
      return variants;
    }
    variants.emplace_back(url.buffer());
  } catch (const std::exception&) {
    // Keep the URL as configured: a variant is a courtesy, never a requirement.
  }
  return variants;
}

AdapterFactory factory() {
  return {kVendor, kSettings, make};
}

}  // namespace omniroute::adapters::twilio
