// The order in which waiting contacts are served: priority class, SLA deadline, arrival, id;
// no starvation within a class; escalation's priority raise; idempotent enqueue.
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

TEST_CASE("a queue orders by priority class, then SLA deadline, then arrival, then id") {
  Fixture f({queue("support")});
  f.add("low-early-deadline", "support", 0, 1min);
  f.clock.advance(1s);
  f.add("high-late-deadline", "support", 10, 60min);
  f.add("high-early-deadline", "support", 10, 5min);
  f.clock.advance(1s);
  f.add("high-same-deadline-later", "support", 10, 5min - 1s);  // same deadline, arrived later
  f.add("b-same-everything", "support", 10, 5min - 1s);
  f.add("a-same-everything", "support", 10, 5min - 1s);
  CHECK(f.engine->waiting_in("support") ==
        std::vector<std::string>{"high-early-deadline", "a-same-everything", "b-same-everything",
                                 "high-same-deadline-later", "high-late-deadline",
                                 "low-early-deadline"});
}

TEST_CASE("an old low-tier contact is not starved: within its class its earlier deadline wins") {
  // Two standard contacts: the old one has the earlier deadline even though a newer one has a
  // shorter SLA target; a VIP (higher class) still goes first.
  Fixture f({queue("support")});
  f.add("old-standard", "support", 0, 30min);
  f.clock.advance(20min);
  f.add("new-standard-short-sla", "support", 0, 15min);   // deadline 35 min > 30 min
  f.add("new-standard-shorter-sla", "support", 0, 5min);  // deadline 25 min < 30 min
  f.add("new-vip", "support", 5, 60min);
  CHECK(f.engine->waiting_in("support") ==
        std::vector<std::string>{"new-vip", "new-standard-shorter-sla", "old-standard",
                                 "new-standard-short-sla"});
  f.agent("ana");
  CHECK(f.holder("new-vip") == "ana");
}

TEST_CASE("an escalation step that raises the priority moves an old contact into a higher class") {
  QueueSpec q = queue("support");
  q.escalation.push_back(EscalationStep{5min, 0, {}, 10});
  Fixture f({q});
  f.add("old-standard", "support", 0, 60min);
  f.clock.advance(4min);
  f.add("vip", "support", 5, 60min);
  CHECK(f.engine->waiting_in("support").front() == "vip");
  f.tick(1min);  // old-standard has waited 5 min: priority 0 + 10 = 10 > 5
  CHECK(f.engine->contact("old-standard")->priority == 10);
  CHECK(f.engine->waiting_in("support") == std::vector<std::string>{"old-standard", "vip"});
  f.agent("ana");
  CHECK(f.holder("old-standard") == "ana");
}

TEST_CASE("enqueueing the same contact id twice changes nothing") {
  Fixture f({queue("support"), queue("sales")});
  f.add("c1", "support", 1, 5min);
  const auto events = f.sink.events.size();
  const auto writes = f.store.writes();
  const ContactRecord before = *f.engine->contact("c1");
  f.clock.advance(1min);
  REQUIRE(f.engine->enqueue("c1", f.decision("sales", 9, 1min), "sms", "other", f.now()));
  CHECK(*f.engine->contact("c1") == before);
  CHECK(f.sink.events.size() == events);
  CHECK(f.store.writes() == writes);
  CHECK(f.engine->waiting_count() == 1);
}

TEST_CASE("a completed contact id replayed within the retention window is not routed again") {
  Fixture f({queue("support")});
  f.agent("ana");
  f.add("c1", "support");
  REQUIRE(f.engine->accept("c1", "ana"));
  REQUIRE(f.engine->complete("c1", "ana"));
  REQUIRE(f.engine->enqueue("c1", f.decision("support"), "chat", "x", f.now()));
  CHECK(f.engine->contact("c1")->status == ContactStatus::completed);
  CHECK(f.engine->waiting_count() == 0);
  CHECK(f.engine->agent_load("ana")->total == 0);
}

TEST_CASE("a contact for an unknown queue is refused with a reason") {
  Fixture f({queue("support")});
  auto r = f.engine->enqueue("c1", f.decision("nowhere"), "chat", "x", f.now());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == omniroute::Errc::invalid_input);
  CHECK(r.error().message.find("nowhere") != std::string::npos);
}
