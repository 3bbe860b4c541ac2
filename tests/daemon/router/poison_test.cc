// Specification of poison entries (invariant 8) against a real redis-server: an inbound or
// command entry that makes the router fail on every delivery goes to the dead-letter stream
// once Redis has delivered it more than routing.max_deliveries times, ACKed in the same commit,
// and the entries read with it are still routed, once each. The failing entry is made with the
// RouterOptions::before_apply test seam, which throws for one stream id.
#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "tests/daemon/router/test_support.h"
#include "tests/support/one_queue_rules.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::testing::router;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
namespace json = boost::json;

namespace {

constexpr const char* kDeadLetters = "omni:{demo}:deadletter";

const std::string kRules =
    omniroute::testing::one_queue_rules({.capacity = 1, .auto_accept = false});

using Fields = std::map<std::string, std::string>;

struct Poison : RouterHarness {
  explicit Poison(RedisServer& redis_server)
      : RouterHarness(redis_server),
        rules(parse_test_rules(kRules, "poison-rules.yaml")),
        log_file(std::tmpfile()),
        captured(LogLevel::warn, fileno(log_file)) {
    options.lease_ttl = std::chrono::milliseconds(300);  // a new router tries every 100 ms
    options.before_apply = [this](std::string_view, std::string_view entry_id) {
      if (entry_id != poison) return;
      ++tries;
      throw std::runtime_error("boom: this entry breaks the router");
    };
  }
  ~Poison() { std::fclose(log_file); }

  // A router of this harness, logging into `captured`.
  std::unique_ptr<Router> start(const std::string& consumer) {
    options.consumer = consumer;
    auto r = std::make_unique<Router>(io, options, rules, clock, captured, metrics);
    r->start();
    return r;
  }
  std::string add(const std::string& payload) {
    return redis.command({"XADD", kInbound, "*", "e", payload}).str;
  }
  long long pending(const char* stream) {
    return redis.command({"XPENDING", stream, "router"}).elements[0].integer;
  }
  std::vector<Fields> dead_letters() {
    std::vector<Fields> out;
    for (const auto& [id, f] : redis.xrange(kDeadLetters)) {
      Fields fields;
      for (std::size_t i = 0; i + 1 < f.size(); i += 2) fields[f[i]] = f[i + 1];
      out.push_back(std::move(fields));
    }
    return out;
  }
  // The log lines written so far whose "msg" is `msg`.
  std::vector<json::object> logged(const std::string& msg) {
    std::vector<json::object> out;
    std::fseek(log_file, 0, SEEK_SET);
    char line[8192];
    while (std::fgets(line, sizeof line, log_file)) {
      auto v = json::parse(line);
      if (v.as_object().at("msg") == msg.c_str()) out.push_back(v.as_object());
    }
    return out;
  }
  bool counted(const std::string& series) {
    return metrics.render().find(series) != std::string::npos;
  }

  std::shared_ptr<const routing::Rules> rules;
  std::string poison;  // the stream id whose apply throws
  int tries = 0;       // how often the router tried to apply it
  std::FILE* log_file;
  Logger captured;
};

json::object presence(const std::string& value, const std::string& reason = {}) {
  json::object c{{"op", "presence"},
                 {"actor", "ana"},
                 {"role", "agent"},
                 {"agent", "ana"},
                 {"presence", value}};
  if (!reason.empty()) c["reason"] = reason;
  return c;
}

}  // namespace

// Invariant 8. The router dies on the entry each time (destroyed without a graceful stop; its
// lease is deleted as its TTL would let it lapse): only Redis's delivery count survives.
TEST_CASE("an inbound entry that kills the router on every delivery is dead-lettered after 5") {
  RedisServer redis;
  Poison h(redis);
  h.add(entry("c1", "+15550000001"));
  h.poison = h.add(entry("p1", "+15550000009"));
  h.add(entry("c2", "+15550000002"));
  for (int life = 1; life <= 5; ++life) {
    auto router = h.start("r" + std::to_string(life));
    REQUIRE(run_until(h.io, [&] { return h.tries == life; }));
    router.reset();
    redis.command({"DEL", kLease});
  }
  CHECK(redis.xlen(kDeadLetters) == 0);

  auto router = h.start("r6");
  REQUIRE(run_until(h.io, [&] { return router->committed_entries() >= 2; }));
  CHECK(h.tries == 5);  // the sixth delivery is not tried: it is given up
  CHECK(h.pending(kInbound) == 0);
  // c1 was read in the poison's batch and routed on its own after the first death; c2 waited
  // behind the poison and was routed once it was given up. Each exactly once.
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana", "QUEUED c2"});
  auto dead = h.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["e"] == entry("p1", "+15550000009"));
  CHECK(dead[0]["stream"] == "inbound");
  CHECK(dead[0]["id"] == h.poison);
  CHECK(dead[0]["deliveries"] == "6");
  CHECK(dead[0]["reason"].starts_with("max_deliveries: delivered 6 times"));
  CHECK(h.counted(
      R"(omniroute_router_dead_letters_total{tenant="demo",stream="inbound",reason="max_deliveries"} 1)"));
  auto logged = h.logged("stream entry dead-lettered");
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].at("level") == "error");
  CHECK(logged[0].at("tenant") == "demo");
  CHECK(logged[0].at("stream") == "inbound");
  CHECK(logged[0].at("entry") == h.poison.c_str());
  CHECK(logged[0].at("deliveries") == 6);
}

TEST_CASE("an entry whose apply throws is retried by the running router, then dead-lettered") {
  RedisServer redis;
  Poison h(redis);
  h.options.max_deliveries = 3;
  h.add(entry("c1", "+15550000001"));
  h.poison = h.add(entry("p1", "+15550000009"));
  h.add(entry("c2", "+15550000002"));
  auto router = h.start("r1");
  REQUIRE(run_until(h.io, [&] { return router->committed_entries() >= 3; }));
  CHECK(h.tries == 3);
  CHECK(router->state() == RouterState::active);
  CHECK(h.pending(kInbound) == 0);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana", "QUEUED c2"});
  auto dead = h.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["deliveries"] == "4");
  CHECK(dead[0]["reason"] ==
        "max_deliveries: delivered 4 times without being applied "
        "(routing.max_deliveries is 3); last failure: applying inbound "
        "entry " +
            h.poison + " threw: boom: this entry breaks the router");
  CHECK(h.logged("router could not apply a stream entry").size() == 3);

  // Routing goes on.
  h.add(entry("c3", "+15550000003"));
  REQUIRE(run_until(h.io, [&] { return router->committed_entries() >= 4; }));
  CHECK(h.lines().back() == "QUEUED c3");
}

TEST_CASE("a command that fails on every delivery is answered 500 and dead-lettered") {
  RedisServer redis;
  Poison h(redis);
  h.options.max_deliveries = 2;
  auto router = h.start("r1");
  h.wait_active(*router);
  h.poison = h.send("cmd-away", presence("away", "lunch"));
  h.send("cmd-offline", presence("offline"));
  REQUIRE(run_until(h.io, [&] {
    return !h.results_of("cmd-away").empty() && !h.results_of("cmd-offline").empty();
  }));
  CHECK(h.tries == 2);
  CHECK(h.pending(kCommands) == 0);

  auto answer = h.results_of("cmd-away");
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].status == "500");
  CHECK(answer[0].body.at("error") == "dead_lettered");
  CHECK(h.results_of("cmd-offline").at(0).status == "200");
  auto dead = h.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["stream"] == "commands");
  CHECK(dead[0]["id"] == h.poison);
  CHECK(dead[0]["command"] == "cmd-away");
  CHECK(dead[0]["deliveries"] == "3");
  CHECK(json::parse(dead[0]["e"]).at("presence") == "away");
  CHECK(h.counted(
      R"(omniroute_router_dead_letters_total{tenant="demo",stream="commands",reason="max_deliveries"} 1)"));
  CHECK(
      h.counted(R"(omniroute_router_commands_total{tenant="demo",op="presence",status="500"} 1)"));
}
