#include "daemon/ingest/ingest.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <optional>

#include "common/crypto.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/ulid.h"
#include "daemon/ingest/store.h"
#include "daemon/redis/client.h"
#include "daemon/redis/keys.h"

namespace omniroute::daemon {
namespace {

// Seconds a vendor is asked to wait before retrying while Redis is unreachable.
constexpr const char* kRetryAfterSecs = "5";

HttpResponse unavailable(std::string_view message) {
  auto response = json_error(503, "unavailable", message);
  response.headers.emplace_back("Retry-After", kRetryAfterSecs);
  return response;
}

HttpResponse from_reply(const adapters::WebhookReply& reply) {
  return HttpResponse{reply.status, reply.content_type, reply.body, {}};
}

adapters::WebhookRequest to_webhook(const HttpRequest& request, std::string_view public_url,
                                    std::chrono::system_clock::time_point now) {
  adapters::WebhookRequest out;
  out.method = request.method;
  out.path = request.path;
  out.query = request.query;
  out.public_url = public_url;
  out.body = request.body;
  out.received_at = now;
  out.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) out.headers.emplace_back(name, value);
  return out;
}

}  // namespace

std::string serialize_stream_entry(const v1::ContactEvent& event) {
  using Coded = google::protobuf::io::CodedOutputStream;
  const std::size_t contact_size = event.ByteSizeLong();  // caches every nested size
  if (contact_size > static_cast<std::size_t>(INT_MAX) - 16) {
    // Past what protobuf serializes at all (2 GiB): its own checks give the verdict.
    v1::StreamEntry entry;
    entry.set_schema_version(kStreamSchemaVersion);
    *entry.mutable_contact() = event;
    return entry.SerializeAsString();
  }
  // StreamEntry's fields in number order, as its generated code writes them: schema_version
  // (left out when 0, proto3), then the oneof's contact as a length-delimited message.
  // A tag is (field number << 3) | wire type: varint 0, length-delimited 2.
  constexpr std::uint32_t kVersionTag = (1U << 3) | 0U;
  constexpr std::uint32_t kContactTag = (2U << 3) | 2U;
  const auto length = static_cast<std::uint32_t>(contact_size);
  std::size_t header_size = Coded::VarintSize32(kContactTag) + Coded::VarintSize32(length);
  if (kStreamSchemaVersion != 0) {
    header_size += Coded::VarintSize32(kVersionTag) + Coded::VarintSize32(kStreamSchemaVersion);
  }
  std::string out(header_size + contact_size, '\0');
  auto* at = reinterpret_cast<std::uint8_t*>(out.data());
  if (kStreamSchemaVersion != 0) {
    at = Coded::WriteVarint32ToArray(kVersionTag, at);
    at = Coded::WriteVarint32ToArray(kStreamSchemaVersion, at);
  }
  at = Coded::WriteVarint32ToArray(kContactTag, at);
  at = Coded::WriteVarint32ToArray(length, at);
  event.SerializeWithCachedSizesToArray(at);
  return out;
}

Route::Route(Endpoint e)
    : endpoint(std::move(e)), success(from_reply(endpoint.adapter->success_reply())) {}

Ingest::Ingest(IngestStore& store, RedisClient& redis, std::string prefix, Metrics& metrics,
               Logger& logger, const Clock& clock)
    : store_(store),
      redis_(redis),
      prefix_(std::move(prefix)),
      metrics_(metrics),
      logger_(logger),
      clock_(clock),
      rejected_log_(clock,
                    {.suppressed_counter = &log_suppressed_counter(metrics, "webhook_rejected")}),
      endpoints_(std::make_shared<EndpointTable>()) {}

void Ingest::set_endpoints(std::vector<Endpoint> endpoints) {
  auto table = std::make_shared<EndpointTable>();
  for (auto& e : endpoints) {
    auto path = e.path;
    (*table)[path] = std::make_shared<const Route>(std::move(e));
  }
  std::lock_guard lock(endpoints_mutex_);
  endpoints_ = std::move(table);
}

bool Ingest::try_handle(HttpRequest& request, Responder& respond) {
  std::shared_ptr<const EndpointTable> table;
  {
    std::lock_guard lock(endpoints_mutex_);
    table = endpoints_;
  }
  auto it = table->find(request.path);
  if (it == table->end()) return false;
  handle(it->second, std::move(request), std::move(respond));
  return true;
}

void Ingest::count(const Route& route, int status) {
  auto lookup = [&] {
    return &metrics_.counter(
        "omniroute_webhook_requests_total", "Webhook requests by adapter and HTTP status",
        {{"adapter", route.endpoint.name}, {"status", std::to_string(status)}});
  };
  if (status < Route::kFirstStatus || status > Route::kLastStatus) return lookup()->inc();
  // Two threads may both resolve an empty slot: they find the same series, so either store wins.
  auto& slot = route.requests_by_status[static_cast<std::size_t>(status - Route::kFirstStatus)];
  Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = lookup();
    slot.store(counter, std::memory_order_release);
  }
  counter->inc();
}

void Ingest::handle(const std::shared_ptr<const Route>& route, HttpRequest&& request,
                    Responder respond) {
  const Endpoint& ep = route->endpoint;
  if (request.method != "POST" && request.method != "GET") {
    count(*route, 405);
    respond(json_error(405, "method_not_allowed", "webhooks take POST (and GET handshakes)"));
    return;
  }
  // The configured URL as is, unless a query string must be appended (it is signed too).
  std::string url_with_query;
  if (!request.query.empty()) {
    url_with_query.reserve(ep.public_url.size() + 1 + request.query.size());
    url_with_query.append(ep.public_url).append("?").append(request.query);
  }
  auto webhook =
      to_webhook(request, request.query.empty() ? ep.public_url : url_with_query, clock_.now());

  if (ep.adapter->classify(webhook) == adapters::RequestKind::handshake) {
    auto reply = ep.adapter->handshake(webhook);
    int status = reply ? reply->status : ep.adapter->reject_status();
    count(*route, status);
    respond(reply ? from_reply(*reply)
                  : json_error(status, to_string(reply.error().code), reply.error().message));
    return;
  }

  adapters::ParsedRequest parsed;  // decoded once, shared by verify and normalize
  if (auto verified = ep.adapter->verify(webhook, parsed); !verified) {
    int status = ep.adapter->reject_status();
    if (auto suppressed = rejected_log_.admit(ep.name, verified.error().message)) {
      logger_.warn("webhook rejected", {{"adapter", ep.name},
                                        {"reason", verified.error().message},
                                        {"remote", request.remote_address},
                                        {"suppressed", *suppressed}});
    }
    count(*route, status);
    respond(json_error(status, "unauthorized", verified.error().message));
    return;
  }

  auto events = ep.adapter->normalize(webhook, parsed);
  if (!events) {
    // Authentic but unreadable: keep the bytes in the dead-letter stream so nothing is lost,
    // and tell the vendor why.
    store_dead_letter(route, events.error(), std::move(request.body), std::move(respond));
    return;
  }
  if (events->empty()) {  // status callbacks, echoes: nothing to route
    count(*route, route->success.status);
    respond(route->success);
    return;
  }
  store_events(route, std::move(*events), std::move(request.body), std::move(respond));
}

void Ingest::store_events(const std::shared_ptr<const Route>& route,
                          std::vector<v1::ContactEvent> events, std::string raw_body,
                          Responder respond) {
  const Endpoint* endpoint = &route->endpoint;
  const auto now_ms = clock_.now_unix_ms();
  const auto body_sha256 = crypto::hex_encode(crypto::digest(crypto::Digest::sha256, raw_body));
  // Tenant keys are needed here only to name raw payloads; the store builds its own.
  std::optional<TenantKeys> keys;
  if (store_.options().raw_payload_ttl_secs > 0) {
    if (auto made = TenantKeys::make(prefix_, endpoint->tenant)) keys = std::move(*made);
  }
  const bool keep_raw = keys.has_value();
  std::vector<IngestItem> items;
  items.reserve(events.size());
  for (auto& event : events) {
    event.set_event_id(make_ulid(now_ms));
    event.set_tenant(endpoint->tenant);
    event.set_vendor(endpoint->vendor);
    event.set_received_at_unix_ms(now_ms);
    event.set_raw_payload_sha256(body_sha256);
    IngestItem item;
    item.vendor = endpoint->vendor;
    item.vendor_message_id = event.vendor_message_id();
    if (keep_raw) {
      item.raw_key = keys->raw(event.event_id());
      item.raw_body = raw_body;
      event.set_raw_payload_ref("redis:" + item.raw_key);
    }
    item.payload = serialize_stream_entry(event);
    items.push_back(std::move(item));
  }
  store_.store(endpoint->tenant, std::move(items),
               [this, route, endpoint,
                respond = std::move(respond)](Result<std::vector<IngestOutcome>> outcome) mutable {
                 if (!outcome) {
                   logger_.error("ingest store failed", {{"adapter", endpoint->name},
                                                         {"reason", outcome.error().message}});
                   count(*route, 503);
                   respond(unavailable("event store unavailable; retry later"));
                   return;
                 }
                 count(*route, route->success.status);
                 respond(route->success);
               });
}

void Ingest::store_dead_letter(const std::shared_ptr<const Route>& route, const Error& error,
                               std::string raw_body, Responder respond) {
  const Endpoint* endpoint = &route->endpoint;
  logger_.warn("webhook unreadable, dead-lettered",
               {{"adapter", endpoint->name}, {"reason", error.message}});
  auto keys = TenantKeys::make(prefix_, endpoint->tenant);
  if (!keys) {
    count(*route, 500);
    respond(json_error(500, "internal", keys.error().message));
    return;
  }
  std::vector<std::string> args = {"XADD",
                                   keys->deadletter(),
                                   "MAXLEN",
                                   "~",
                                   "100000",
                                   "*",
                                   "reason",
                                   error.message,
                                   "adapter",
                                   endpoint->name,
                                   "vendor",
                                   endpoint->vendor,
                                   "received_at_unix_ms",
                                   std::to_string(clock_.now_unix_ms()),
                                   "body",
                                   std::move(raw_body)};
  redis_.command(std::move(args),
                 [this, route, error, respond = std::move(respond)](Result<RedisReply> reply) {
                   if (!reply || reply->is_error()) {
                     count(*route, 503);
                     respond(unavailable("event store unavailable; retry later"));
                     return;
                   }
                   int status = http_status(error.code);
                   count(*route, status);
                   respond(json_error(status, to_string(error.code), error.message));
                 });
}

}  // namespace omniroute::daemon
