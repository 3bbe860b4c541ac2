// The contract every channel adapter implements: bytes in, verified, ContactEvents out.
// Adapters are pure. Limits, dedup, XADD, metrics and HTTP live once, in daemon/ingest.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/common/form.h"
#include "common/result.h"
#include "omniroute/v1/contact_event.pb.h"

namespace omniroute::adapters {

// One HTTP request as the shared ingest path hands it to an adapter. Views stay valid for the
// duration of the adapter call only.
struct WebhookRequest {
  std::string_view method;  // "POST", "GET"
  std::string_view path;    // path as received, without the query ("/webhooks/twilio/demo")
  std::string_view query;   // raw query string without '?', possibly empty
  // The URL the vendor was configured with, as it appears from outside (scheme, host, path and
  // query): what vendors sign. Built by the daemon from config, since it usually sits behind a
  // proxy and cannot trust Host.
  std::string_view public_url;
  // Header names lower-cased.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
  std::chrono::system_clock::time_point received_at;

  // First header with this (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return {};
  }
};

// What the daemon answers the vendor once the events are durably in the stream (or, for a
// handshake, at once).
struct WebhookReply {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

// What an adapter decoded from one request, carried from verify() to normalize() so that the
// body is decoded once (the daemon makes one per request and only passes it along). Empty at
// first; an adapter fills what it parses and reuses it. Never shared between requests.
struct ParsedRequest {
  std::optional<form::Form> query;  // the query string as a form
  std::optional<form::Form> body;   // an application/x-www-form-urlencoded body
};

// A vendor-specific verdict on a request before any event is built.
enum class RequestKind {
  event,      // carries messages: verify, normalize, store, then reply success_reply()
  handshake,  // a vendor's URL check (Meta hub.challenge, WeChat echostr): reply at once
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  // Is this a handshake? Default: every request carries events.
  virtual RequestKind classify(const WebhookRequest&) const { return RequestKind::event; }
  // Answer to a verified handshake; called only when classify() said handshake.
  virtual Result<WebhookReply> handshake(const WebhookRequest&) const {
    return make_error(Errc::invalid_input, "this adapter has no handshake");
  }

  // Is the request really from the vendor? Errc::unauthorized when not. Runs on raw bytes,
  // before any parsing of the body beyond what the scheme itself requires; what it parses it
  // leaves in `parsed` for normalize().
  virtual Result<void> verify(const WebhookRequest&, ParsedRequest& parsed) const = 0;

  // Parse and normalise a verified request, reusing what verify() left in `parsed` (and
  // parsing the rest). May return zero events (status callbacks, echoes), one, or many
  // (vendors that batch). Each event carries vendor_message_id; the daemon fills event_id,
  // tenant and received time.
  virtual Result<std::vector<v1::ContactEvent>> normalize(const WebhookRequest&,
                                                          ParsedRequest& parsed) const = 0;

  // One step alone, each parsing afresh: for tests, fuzzers and one-off callers.
  Result<void> verify(const WebhookRequest& request) const {
    ParsedRequest parsed;
    return verify(request, parsed);
  }
  Result<std::vector<v1::ContactEvent>> normalize(const WebhookRequest& request) const {
    ParsedRequest parsed;
    return normalize(request, parsed);
  }

  // The 2xx the vendor expects once events are stored (Twilio wants empty TwiML).
  virtual WebhookReply success_reply() const { return {}; }
  // Status for a forged/missing signature: 403 for Twilio, 401 for LINE, 406 for Mailgun.
  virtual int reject_status() const { return 403; }
};

// One setting an adapter accepts in its config block. The config loader rejects unknown keys
// and missing required ones before the adapter is built; secrets may come from env or files.
struct SettingSpec {
  std::string_view name;
  bool required;
  bool secret;  // may be given as {env: NAME} or {file: PATH}; never logged
  std::string_view help;
};

// Resolved settings for one adapter instance (secrets already read from env/file).
using Settings = std::map<std::string, std::string, std::less<>>;

struct AdapterFactory {
  std::string_view vendor;  // the name used in config: "twilio"
  std::span<const SettingSpec> settings;
  std::function<Result<std::unique_ptr<Adapter>>(const Settings&)> make;
};

// Every adapter compiled in, in a list you can read (adapters/registry.cc).
std::span<const AdapterFactory> all_factories();
const AdapterFactory* find_factory(std::string_view vendor);

}  // namespace omniroute::adapters
