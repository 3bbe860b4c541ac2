// Commands to the routing core (docs/commands.md): XADD to `<base>:commands` with a ULID and an
// expiry, then wait for the result the tenant's tail brings back, or answer 504 at the timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/auth.h"
#include "common/clock.h"
#include "daemon/redis/keys.h"
#include "daemon/router/command.h"

namespace boost::asio {
class io_context;
}

namespace omniroute {
class Logger;
}  // namespace omniroute

namespace omniroute::daemon {
class RedisClient;
}  // namespace omniroute::daemon

namespace omniroute::api {

// A command's outcome as the API answers it: an HTTP status and a JSON body.
struct CommandReply {
  int status = 200;
  std::string body;
};
using CommandDone = std::function<void(CommandReply)>;

// Thread-safe. `done` runs exactly once: on the tail's strand (result), a timer (504) or the
// Redis callback (XADD failed, 503).
class CommandBus {
 public:
  CommandBus(boost::asio::io_context& io, daemon::RedisClient& redis, const Clock& clock,
             std::chrono::milliseconds timeout, Logger& log);
  ~CommandBus();  // answers whatever is still pending with 503
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;

  // `command` holds `op` and its fields; actor, role and expires_ms are set here.
  void submit(const daemon::TenantKeys& keys, const Principal& who, daemon::Command command,
              CommandDone done);

  // A result entry from the tail; ids nobody waits for (other instances', timed out) are
  // ignored.
  void resolve(const std::string& id, int status, std::string body);

  void set_timeout(std::chrono::milliseconds timeout);
  std::size_t pending() const;

 private:
  struct Pending;
  std::shared_ptr<Pending> take(const std::string& id);
  void expire(const std::string& id);

  boost::asio::io_context& io_;
  daemon::RedisClient& redis_;
  const Clock& clock_;
  Logger& log_;
  mutable std::mutex mutex_;  // guards pending_ and timeout_
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;
};

}  // namespace omniroute::api
