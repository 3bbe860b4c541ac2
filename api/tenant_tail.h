// One tenant's tail: a dedicated Redis connection blocked in XREAD on the results and
// assignments streams, feeding command results to the CommandBus and routing events to the
// agents' WebSockets. Results are read from the moment the tail was made (so no command
// result is missed), assignments from their last id on.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/redis/client.h"
#include "daemon/redis/keys.h"

namespace omniroute {
class Logger;
class Metrics;
}  // namespace omniroute

namespace omniroute::api {

struct TailSinks {
  // A `<base>:results` entry: command id, HTTP status, JSON body.
  std::function<void(const std::string& id, int status, std::string body)> on_result;
  // A `<base>:assignments` entry: the serialized AssignmentEvent.
  std::function<void(const std::string& payload)> on_assignment;
};

struct TailOptions {
  daemon::RedisClientOptions redis;  // `connections` is ignored: the tail uses one
  std::chrono::milliseconds block{1000};
  std::chrono::milliseconds retry{200};  // after a Redis error
};

// Sinks run on the tail's connection strand, one entry at a time, in stream order.
class TenantTail {
 public:
  TenantTail(boost::asio::io_context& io, TailOptions options, daemon::TenantKeys keys,
             TailSinks sinks, Logger& log);
  ~TenantTail();
  TenantTail(const TenantTail&) = delete;
  TenantTail& operator=(const TenantTail&) = delete;

  void start();
  void stop();  // asynchronous, like RedisClient::stop
  // The cursors are set: a command submitted from now on cannot miss its result.
  bool initialised() const;
  const daemon::TenantKeys& keys() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace omniroute::api
