// The router role for one tenant: reads the inbound stream with a consumer group, resolves the
// customer, threads or matches and enqueues, commits engine records + assignment events + ACKs
// in one fenced script, and holds the tenant's lease (one active router, standbys wait).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "daemon/redis/client.h"
#include "routing/rules.h"

namespace omniroute {
class Logger;
class Metrics;
}  // namespace omniroute

namespace omniroute::daemon {

struct RouterOptions {
  std::string prefix = "omni";
  std::string tenant = "demo";
  std::string consumer = "router";  // consumer name in group "router"; unique per process
  std::chrono::milliseconds lease_ttl{5000};
  std::chrono::milliseconds claim_idle{30000};  // XAUTOCLAIM entries idle this long
  std::chrono::milliseconds block{1000};        // XREADGROUP BLOCK
  std::size_t batch = 64;
  std::int64_t assignments_maxlen = 1000000;
  double sla_warning_fraction = 0.8;
  std::chrono::milliseconds completed_retention{std::chrono::hours(24)};
  // An open contact (waiting, offered or active) with no message for this long is withdrawn
  // with reason "idle" (docs/router.md, "Conversation threading"): the customer's next message
  // opens a new contact.
  std::chrono::milliseconds conversation_idle_close{std::chrono::hours(24)};
  // The `reload_rules` command (docs/commands.md) asks the process for the rules file again
  // through this; an error (e.g. the file's file:line:col messages as Errc::invalid_input) is the
  // command's answer and the running rules stay. Unset: the command answers 503. Called on the
  // router's strand; it may block briefly (it reads a file).
  std::function<Result<std::shared_ptr<const routing::Rules>>()> load_rules;
  // A sample of the engine's counts goes to `<base>:stats` this often (the dashboard's chart).
  std::chrono::milliseconds stats_interval{15000};
  // An inbound or command entry that Redis has delivered more often than this without it being
  // applied (the router failed or died on it each time) goes to the dead-letter stream instead
  // (docs/router.md, "Poison entries"). At least 2: an entry is always tried once on its own.
  std::uint32_t max_deliveries = 5;
  // Test seam (tests/daemon/router/poison_test.cc): called on the strand just before a stream
  // entry is applied, with the stream ("inbound" or "commands") and the entry's id. What it
  // throws is handled like an exception thrown while applying that entry. Unset in the daemon.
  std::function<void(std::string_view stream, std::string_view entry_id)> before_apply;
  // The router opens its own connections (a blocking XREADGROUP ties one up); `endpoint` and
  // the timeouts come from here, `connections` is ignored.
  RedisClientOptions redis;
};

enum class RouterState { standby, rebuilding, active, stopped };

class Router {
 public:
  // `io` runs the router's strand and its Redis connections. `rules` must not be null.
  Router(boost::asio::io_context& io, RouterOptions options,
         std::shared_ptr<const routing::Rules> rules, const Clock& clock, Logger& log,
         Metrics& metrics);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Connects and starts competing for the lease. Returns at once.
  void start();
  // Stops consuming, releases the lease if held (so a standby takes over at once) and closes
  // the connections. Asynchronous; the io_context must keep running a moment for it.
  void stop();

  // New rules (already validated): used for every contact matched from now on; at the next
  // quiet moment every waiting contact is matched again under them (Engine::reconfigure; a
  // REQUEUED event for each that moves) and the agents they declare are upserted, in one fenced
  // commit. Removed queues serve their remaining contacts until empty. Thread-safe.
  void set_rules(std::shared_ptr<const routing::Rules> rules);

  // Fires engine timers now (tests with a ManualClock call it after advancing the clock; the
  // daemon's own timer does it at engine.next_due()). Thread-safe.
  void run_timers();

  // Thread-safe observers (tests, metrics, logs).
  RouterState state() const;
  std::int64_t fencing_token() const;  // 0 unless active
  // Inbound entries whose effect has been committed (and ACKed) by this instance.
  std::uint64_t committed_entries() const;
  const std::string& instance_id() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace omniroute::daemon
