// The one ingest path every adapter shares: find the endpoint, verify, normalise, stamp ids,
// store durably (dedup + XADD in one step), and only then answer the vendor.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/adapter.h"
#include "common/clock.h"
#include "common/log_throttle.h"
#include "daemon/http/types.h"

namespace omniroute {
class Counter;
class Logger;
class Metrics;
}  // namespace omniroute

namespace omniroute::daemon {

class IngestStore;
class RedisClient;

// One configured webhook endpoint: an adapter instance bound to a tenant and a path.
struct Endpoint {
  std::string name;  // config name, the metrics label
  std::string vendor;
  std::string tenant;
  std::string path;        // "/webhooks/twilio/demo"
  std::string public_url;  // what the vendor was configured with, without the query
  std::unique_ptr<adapters::Adapter> adapter;
};

// An endpoint as the ingest path serves it: with its request counters, one slot per HTTP
// status, resolved on first use so that counting a request takes no lock and builds no string.
struct Route {
  static constexpr int kFirstStatus = 100;
  static constexpr int kLastStatus = 599;
  explicit Route(Endpoint e);
  Endpoint endpoint;
  // The adapter's success_reply(), built once: it depends on nothing but the adapter.
  HttpResponse success;
  mutable std::array<std::atomic<Counter*>, kLastStatus - kFirstStatus + 1> requests_by_status{};
};

using EndpointTable = std::unordered_map<std::string, std::shared_ptr<const Route>>;

// Version written into every StreamEntry; bump with incompatible proto changes.
inline constexpr std::uint32_t kStreamSchemaVersion = 1;

// The bytes of a v1::StreamEntry {schema_version: kStreamSchemaVersion, contact: event}, exactly
// as StreamEntry::SerializeAsString() writes them, without building the StreamEntry (which
// would take the event over and then free it): the wrapper is a few bytes written by hand.
std::string serialize_stream_entry(const v1::ContactEvent& event);

class Ingest {
 public:
  // Dead letters (authentic but unreadable requests) go straight to Redis through `redis`.
  Ingest(IngestStore& store, RedisClient& redis, std::string prefix, Metrics& metrics,
         Logger& logger, const Clock& clock);

  // Swaps the endpoint table atomically (start-up and reload); requests in flight keep the
  // endpoint they started with.
  void set_endpoints(std::vector<Endpoint> endpoints);

  // Takes the request if its path is a webhook endpoint; false leaves it to other routes.
  bool try_handle(HttpRequest& request, Responder& respond);

 private:
  void handle(const std::shared_ptr<const Route>& route, HttpRequest&& request, Responder respond);
  void store_events(const std::shared_ptr<const Route>& route, std::vector<v1::ContactEvent> events,
                    std::string raw_body, Responder respond);
  void store_dead_letter(const std::shared_ptr<const Route>& route, const Error& error,
                         std::string raw_body, Responder respond);
  void count(const Route& route, int status);

  IngestStore& store_;
  RedisClient& redis_;
  std::string prefix_;
  Metrics& metrics_;
  Logger& logger_;
  const Clock& clock_;
  LogThrottle rejected_log_;  // forged requests: one line per (adapter, reason) per interval
  mutable std::mutex endpoints_mutex_;  // guards the pointer swap only
  std::shared_ptr<const EndpointTable> endpoints_;
};

}  // namespace omniroute::daemon
