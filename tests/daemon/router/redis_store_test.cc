// Specification of the routing store on a real redis-server: what an engine writes through it
// comes back as the same snapshot (invariant 4), and a commit under a stale fence writes nothing.
#include "daemon/router/redis_store.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/redis/client.h"
#include "tests/routing/engine_fixture.h"
#include "tests/support/await_result.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::routing;
using namespace omniroute::routing::testing;
using omniroute::testing::await_result;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;

namespace {

std::vector<QueueSpec> queues() {
  QueueSpec sales = queue("sales", {{"sales", 2}});
  sales.reservation_timeout = 20s;
  sales.escalation = {EscalationStep{1min, 1, {"support"}, 2}};
  QueueSpec support = queue("support", {{"support", 1}}, Strategy::least_busy);
  return {sales, support};
}

struct Harness {
  explicit Harness(RedisServer& redis)
      : log(LogLevel::error),
        client(io, options(redis), log, metrics),
        store(client, TenantKeys::make("omni", "acme").value()) {
    client.start();
    REQUIRE(run_until(io, [&] { return client.ready(); }));
  }
  static RedisClientOptions options(RedisServer& redis) {
    RedisClientOptions o;
    o.endpoint = parse_redis_url(redis.url()).value();
    return o;
  }
  Result<void> commit(const Fence& fence = {}, CommitExtras extras = {}) {
    return await_result<void>(io, [&](auto done) { store.commit(fence, std::move(extras), done); });
  }
  RoutingSnapshot load() {
    auto out = await_result<RoutingSnapshot>(io, [&](auto done) { store.load_snapshot(done); });
    REQUIRE(out.has_value());
    return *out;
  }

  boost::asio::io_context io;
  Logger log;
  Metrics metrics;
  RedisClient client;
  RoutingRedisStore store;
};

}  // namespace

TEST_CASE("records round-trip through their JSON form unchanged") {
  ContactRecord c;
  c.id = "c1";
  c.decision.rule = "vip";
  c.decision.required_skills = {{"sales", 3}};
  c.decision.tags = {"a", "b"};
  c.decision.queue_closed = true;
  c.status = ContactStatus::offered;
  c.declined_by = {"ana"};
  c.also_queues = {"support"};
  CHECK(contact_from_json(contact_to_json(c)).value() == c);
  AgentRecord a;
  a.spec = agent_spec("ana", {{"sales", 3}}, {{"sms", 2}}, 3);
  a.presence = Presence::away;
  a.away_reason = "lunch";
  CHECK(agent_from_json(agent_to_json(a)).value() == a);
  StickyRecord s{"cust", "ana", 42};
  CHECK(sticky_from_json(sticky_to_json(s)).value() == s);
  CHECK_FALSE(contact_from_json("{\"id\":1}").has_value());
}

TEST_CASE("an engine rebuilt from what the store wrote has the writer's snapshot") {
  RedisServer redis;
  Harness h(redis);
  Fixture writer(queues());
  writer.engine =
      std::make_unique<Engine>(writer.clock, EngineConfig{queues()}, writer.sink, &h.store);
  writer.agent("ana", {{"sales", 3}, {"support", 2}}, {{"chat", 2}, {"email", 2}}, 3);
  writer.agent("bob", {{"support", 4}}, {{"chat", 1}}, 1);
  writer.add("s1", "sales", 0, 10min, {{"sales", 2}}, "chat", "cust-1");
  writer.add("s2", "sales", 1, 10min, {{"sales", 2}}, "email", "cust-2");
  REQUIRE(writer.engine->accept("s1", "ana"));
  REQUIRE(h.commit());
  writer.add("p1", "support", 0, 5min, {{"support", 1}}, "chat", "cust-3");
  REQUIRE(writer.engine->accept("p1", "bob"));
  REQUIRE(writer.engine->complete("p1", "bob"));
  writer.add("p2", "support", 2, 8min, {{"support", 1}}, "chat", "cust-4");
  REQUIRE(writer.engine->reject("p2", "bob", "busy"));
  writer.tick(70s);  // escalation of the waiting sales contacts
  REQUIRE(h.commit());
  CHECK(h.store.buffered() == 0);

  auto loaded = h.load();
  CHECK(loaded.contacts.size() == 4);
  Fixture reader(queues());
  REQUIRE(reader.engine->restore(loaded));
  CHECK(reader.engine->snapshot() == writer.engine->snapshot());
}

TEST_CASE("a commit with a stale fencing token writes nothing and says conflict") {
  RedisServer redis;
  Harness h(redis);
  redis.command({"SET", "omni:{acme}:router:lease", "me"});
  redis.command({"SET", "omni:{acme}:router:fence", "7"});
  h.store.save_sticky({"cust", "ana", 1});
  CommitExtras extras;
  extras.assignments.push_back({"event", "", 0});
  auto stale = h.commit(Fence{"me", 6}, extras);
  REQUIRE_FALSE(stale.has_value());
  CHECK(stale.error().code == Errc::conflict);
  CHECK(redis.xlen("omni:{acme}:assignments") == 0);
  CHECK_FALSE(redis.exists("omni:{acme}:routing:sticky"));
  CHECK_FALSE(h.commit(Fence{"other", 7}, extras).has_value());

  h.store.save_sticky({"cust", "ana", 1});
  REQUIRE(h.commit(Fence{"me", 7}, extras));
  CHECK(redis.xlen("omni:{acme}:assignments") == 1);
  CHECK(h.load().sticky.size() == 1);
}

TEST_CASE("a once-only assignment is appended once however often it is committed") {
  RedisServer redis;
  Harness h(redis);
  for (int i = 0; i < 3; ++i) {
    CommitExtras extras;
    extras.assignments.push_back({"appended", "omni:{acme}:routing:applied:m1", 60000});
    REQUIRE(h.commit({}, extras));
  }
  CHECK(redis.xlen("omni:{acme}:assignments") == 1);
}

TEST_CASE("a removed agent and a pruned sticky record stay gone after a rebuild from Redis") {
  RedisServer redis;
  Harness h(redis);
  Fixture writer(queues());
  writer.engine =
      std::make_unique<Engine>(writer.clock, EngineConfig{queues()}, writer.sink, &h.store);
  writer.agent("ana", {{"support", 2}}, {{"chat", 1}}, 1);
  writer.agent("bob", {{"support", 4}}, {{"chat", 1}}, 1);
  writer.add("p1", "support", 0, 5min, {{"support", 1}}, "chat", "cust-1");
  const std::string server = writer.engine->contact("p1")->agent;
  REQUIRE(writer.engine->accept("p1", server));
  REQUIRE(writer.engine->complete("p1", server));
  REQUIRE(h.commit());
  REQUIRE(h.load().sticky.size() == 1);
  REQUIRE(h.load().agents.size() == 2);

  REQUIRE(writer.engine->remove_agent("bob"));
  writer.tick(25h);  // past every queue's sticky window (24 h): the sticky record is pruned
  REQUIRE(h.commit());

  auto loaded = h.load();
  CHECK(loaded.sticky.empty());
  REQUIRE(loaded.agents.size() == 1);
  CHECK(loaded.agents[0].spec.id == "ana");
  Fixture reader(queues());
  REQUIRE(reader.engine->restore(loaded));
  CHECK(reader.engine->agent("bob") == nullptr);
  CHECK(reader.engine->snapshot() == writer.engine->snapshot());
}
