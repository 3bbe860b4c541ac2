// The one ingest path every adapter shares: find the endpoint, verify, normalise, stamp ids,
// store durably (dedup + XADD in one step), and only then answer the vendor.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/adapter.h"
#include "common/clock.h"
#include "daemon/http_types.h"

namespace omniroute::daemon {

class IngestStore;
class RedisClient;
class Logger;
class Metrics;
class Counter;

// One configured webhook endpoint: an adapter instance bound to a tenant and a path.
struct Endpoint {
  std::string name;  // config name, the metrics label
  std::string vendor;
  std::string tenant;
  std::string path;        // "/webhooks/twilio/demo"
  std::string public_url;  // what the vendor was configured with, without the query
  std::unique_ptr<adapters::Adapter> adapter;
};

using EndpointTable = std::unordered_map<std::string, std::shared_ptr<const Endpoint>>;

// Version written into every StreamEntry; bump with incompatible proto changes.
inline constexpr std::uint32_t kStreamSchemaVersion = 1;

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
  void handle(const std::shared_ptr<const Endpoint>& endpoint, HttpRequest&& request,
              Responder respond);
  void store_events(const std::shared_ptr<const Endpoint>& endpoint,
                    std::vector<v1::ContactEvent> events, std::string raw_body, Responder respond);
  void store_dead_letter(const std::shared_ptr<const Endpoint>& endpoint, const Error& error,
                         std::string raw_body, Responder respond);
  void count(const Endpoint& endpoint, int status);

  IngestStore& store_;
  RedisClient& redis_;
  std::string prefix_;
  Metrics& metrics_;
  Logger& logger_;
  const Clock& clock_;
  mutable std::mutex endpoints_mutex_;  // guards the pointer swap only
  std::shared_ptr<const EndpointTable> endpoints_;
};

}  // namespace omniroute::daemon
