// Invariant 4: the store holds exactly the engine's state after every operation, and an engine
// rebuilt from it makes the same next decisions as the one that wrote it.
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

namespace {

std::vector<QueueSpec> queues() {
  QueueSpec sales = queue("sales", {{"sales", 2}});
  sales.reservation_timeout = 20s;
  sales.escalation = {EscalationStep{1min, 1, {"support"}, 2}};
  QueueSpec support = queue("support", {{"support", 1}}, Strategy::least_busy);
  support.reservation_timeout = 30s;
  return {sales, support};
}

// Some history: waiting, offered, active and completed contacts, a sticky customer, a decline.
void play_history(Fixture& f) {
  f.agent("ana", {{"sales", 3}, {"support", 2}}, {{"chat", 2}, {"email", 2}}, 3);
  f.agent("bob", {{"support", 4}}, {{"chat", 1}}, 1);
  f.add("s1", "sales", 0, 10min, {{"sales", 2}}, "chat", "cust-1");
  f.add("s2", "sales", 1, 10min, {{"sales", 2}}, "email", "cust-2");
  REQUIRE(f.engine->accept("s1", "ana"));
  f.clock.advance(5s);
  f.add("p1", "support", 0, 5min, {{"support", 1}}, "chat", "cust-3");
  REQUIRE(f.engine->accept("p1", "bob"));
  REQUIRE(f.engine->complete("p1", "bob"));
  f.add("p2", "support", 2, 8min, {{"support", 1}}, "chat", "cust-4");
  REQUIRE(f.engine->reject("p2", "bob", "busy"));
  f.add("s3", "sales", 0, 3min, {{"sales", 2}}, "chat", "cust-5");
  f.add("p3", "support", 0, 4min, {{"support", 1}}, "chat", "cust-3");
  f.clock.advance(3s);
}

// The same future for both engines: time passes, agents answer, new contacts arrive.
void play_future(Fixture& f) {
  f.tick(20s);
  f.tick(40s);
  (void)f.engine->accept("s2", "ana");
  (void)f.engine->complete("s1", "ana");
  f.add("p4", "support", 0, 2min, {{"support", 1}}, "chat", "cust-1");
  f.tick(3min);
  (void)f.engine->set_presence("bob", Presence::offline);
  f.tick(10min);
}

}  // namespace

TEST_CASE("the store mirrors the engine's state after every operation") {
  Fixture f(queues());
  play_history(f);
  CHECK(f.store.load().value().contacts == f.engine->snapshot().contacts);
  CHECK(f.store.load().value().agents == f.engine->snapshot().agents);
  CHECK(f.store.load().value().sticky == f.engine->snapshot().sticky);
}

TEST_CASE("an engine rebuilt from the store makes the same next decisions as the original") {
  Fixture original(queues());
  play_history(original);

  Fixture rebuilt(queues());
  rebuilt.clock.set_unix_ms(original.now());
  REQUIRE(rebuilt.engine->restore(original.store.load().value()));
  CHECK(rebuilt.engine->snapshot() == original.engine->snapshot());
  CHECK(rebuilt.engine->next_due() == original.engine->next_due());
  CHECK(rebuilt.engine->waiting_in("sales") == original.engine->waiting_in("sales"));
  CHECK(rebuilt.engine->waiting_in("support") == original.engine->waiting_in("support"));
  for (const char* id : {"ana", "bob"}) {
    CHECK(rebuilt.engine->agent_load(id)->offers == original.engine->agent_load(id)->offers);
    CHECK(rebuilt.engine->agent_load(id)->active == original.engine->agent_load(id)->active);
  }
  CHECK(rebuilt.sink.events.empty());  // restoring emits nothing

  original.sink.clear();
  play_future(original);
  play_future(rebuilt);
  CHECK(rebuilt.sink.lines() == original.sink.lines());
  CHECK(rebuilt.engine->snapshot() == original.engine->snapshot());
  CHECK_FALSE(original.sink.events.empty());
}

TEST_CASE("restore refuses a non-empty engine and a snapshot naming an unknown queue") {
  Fixture f(queues());
  f.add("c1", "sales");
  CHECK_FALSE(f.engine->restore(RoutingSnapshot{}));
  Fixture g(queues());
  RoutingSnapshot s;
  ContactRecord orphan;
  orphan.id = "x";
  orphan.queue = "gone";
  s.contacts.push_back(orphan);
  CHECK(g.engine->restore(s).error().code == omniroute::Errc::invalid_input);
}
