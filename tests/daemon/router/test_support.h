// Shared pieces of the router specifications: the stream entries a Router consumes, the
// assignment events it writes, and a harness running one on a real redis-server and a ManualClock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon/router/router.h"
#include "omniroute/v1/assignment.pb.h"
#include "omniroute/v1/contact_event.pb.h"
#include "routing/rules_yaml.h"
#include "tests/support/redis_server.h"

namespace omniroute::testing::router {

// Stream keys of tenant "demo" under prefix "omni", the harness defaults.
inline constexpr const char* kInbound = "omni:{demo}:inbound";
inline constexpr const char* kAssignments = "omni:{demo}:assignments";
inline constexpr const char* kLease = "omni:{demo}:router:lease";
inline constexpr const char* kCommands = "omni:{demo}:commands";
inline constexpr const char* kResults = "omni:{demo}:results";
inline constexpr const char* kOutbound = "omni:{demo}:outbound";
inline constexpr const char* kStats = "omni:{demo}:stats";

// One entry of the results stream.
struct CommandResult {
  std::string status;
  boost::json::value body;
};

using Lines = std::vector<std::string>;

// A serialized StreamEntry: contact `event_id` from `kind`:`from` on `channel`, saying "hello".
inline std::string entry(const std::string& event_id, const std::string& kind,
                         const std::string& from, v1::Channel channel = v1::CHANNEL_SMS) {
  v1::StreamEntry e;
  e.set_schema_version(1);
  auto* c = e.mutable_contact();
  c->set_event_id(event_id);
  c->set_tenant("demo");
  c->set_channel(channel);
  c->mutable_sender()->set_kind(kind);
  c->mutable_sender()->set_value(from);
  c->set_text("hello");
  return e.SerializeAsString();
}

// An SMS from phone number `from`.
inline std::string entry(const std::string& event_id, const std::string& from) {
  return entry(event_id, "phone", from);
}

// Rules from YAML text that must parse without errors.
inline std::shared_ptr<const routing::Rules> parse_test_rules(const std::string& text,
                                                              const std::string& file_name) {
  auto parsed = routing::parse_rules(text, file_name);
  INFO(parsed.errors.size());
  REQUIRE(parsed.errors.empty());
  return parsed.rules;
}

// Every AssignmentEvent on the assignments stream, oldest first.
inline std::vector<v1::AssignmentEvent> assignments_in(const RedisServer& redis) {
  std::vector<v1::AssignmentEvent> out;
  for (const auto& [id, fields] : redis.xrange(kAssignments)) {
    v1::AssignmentEvent a;
    REQUIRE(a.ParseFromString(fields.at(1)));
    out.push_back(a);
  }
  return out;
}

// One decision as a line: "OFFERED c1 ana", or with the queue "OFFERED c1 general ana".
inline std::string describe(const v1::AssignmentEvent& a, bool with_queue) {
  std::string kind = v1::AssignmentKind_Name(a.kind()).substr(16);  // after "ASSIGNMENT_KIND_"
  return kind + " " + a.contact_id() + (with_queue ? " " + a.queue() : "") +
         (a.agent_id().empty() ? "" : " " + a.agent_id());
}

// A Router of tenant "demo" against `redis`, on a ManualClock; each test wraps it with its own
// rules and steps.
struct RouterHarness {
  explicit RouterHarness(RedisServer& redis_server) : redis(redis_server), log(LogLevel::error) {
    options.lease_ttl = std::chrono::seconds(3);
    options.block = std::chrono::milliseconds(100);
    options.redis.endpoint = daemon::parse_redis_url(redis.url()).value();
  }

  // Starts a Router; an empty `consumer` keeps the one in `options`.
  std::unique_ptr<daemon::Router> make_router(std::shared_ptr<const routing::Rules> rules,
                                              const std::string& consumer = {}) {
    if (!consumer.empty()) options.consumer = consumer;
    auto r = std::make_unique<daemon::Router>(io, options, std::move(rules), clock, log, metrics);
    r->start();
    return r;
  }
  void wait_active(daemon::Router& r) {
    REQUIRE(run_until(io, [&] { return r.state() == daemon::RouterState::active; }));
  }
  // Stops the router and waits until its lease is released, so the next one wins it at once.
  void stop_router(std::unique_ptr<daemon::Router>& r) {
    r->stop();
    REQUIRE(run_until(io, [&] { return !redis.exists(kLease); }));
    r.reset();
  }
  void xadd(const std::string& payload) { redis.command({"XADD", kInbound, "*", "e", payload}); }
  // Adds an entry and waits until `r` has committed it.
  void add_committed(daemon::Router& r, const std::string& payload) {
    const auto before = r.committed_entries();
    xadd(payload);
    REQUIRE(run_until(io, [&] { return r.committed_entries() > before; }));
  }
  std::vector<v1::AssignmentEvent> assignments() { return assignments_in(redis); }

  // Appends a command (docs/commands.md) under `id`; `expires_in` from the clock's now is added
  // as expires_ms unless the command has one. Returns the entry's id in the commands stream.
  std::string send(const std::string& id, boost::json::object c,
                   std::chrono::milliseconds expires_in = std::chrono::seconds(5)) {
    if (!c.contains("expires_ms")) c["expires_ms"] = clock.now_unix_ms() + expires_in.count();
    return redis.command({"XADD", kCommands, "*", "id", id, "c", boost::json::serialize(c)}).str;
  }
  // Every result written for command `id`, oldest first.
  std::vector<CommandResult> results_of(const std::string& id) {
    std::vector<CommandResult> out;
    for (const auto& [entry, f] : redis.xrange(kResults)) {
      if (f.at(1) == id) out.push_back({f.at(3), boost::json::parse(f.at(5))});
    }
    return out;
  }
  // Sends a command and waits for its result.
  CommandResult call(const std::string& id, boost::json::object c) {
    send(id, std::move(c));
    REQUIRE(run_until(io, [&] { return !results_of(id).empty(); }));
    return results_of(id).front();
  }
  Lines lines(bool with_queue = false) {
    Lines out;
    for (const auto& a : assignments()) out.push_back(describe(a, with_queue));
    return out;
  }

  RedisServer& redis;
  boost::asio::io_context io;
  ManualClock clock;
  Logger log;
  Metrics metrics;
  daemon::RouterOptions options;
};

}  // namespace omniroute::testing::router
