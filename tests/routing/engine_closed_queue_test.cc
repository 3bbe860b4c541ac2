// Specifications of closed queues (out of business hours, `out_of_hours: wait`): the engine holds
// their contacts until the daemon opens them, at the instant routing::next_transition names.
#include <catch2/catch.hpp>

#include "routing/business_hours.h"
#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

namespace {

TimePoint at(const char* iso) {
  return *parse_iso8601(iso);
}

// Mon-Fri 09:00-18:00 in `zone`.
BusinessHours office_hours(const char* zone) {
  BusinessHours h;
  h.zone = TimeZone::load(zone).value();
  for (int day = 0; day < 5; ++day) h.weekly[static_cast<std::size_t>(day)] = {{9 * 60, 18 * 60}};
  return h;
}

}  // namespace

TEST_CASE("a closed queue holds a new contact even with a free agent") {
  Fixture f({queue("general")});
  f.agent("ana");
  REQUIRE(f.engine->set_queue_open("general", false).has_value());
  CHECK_FALSE(f.engine->queue_open("general"));
  f.add("c1", "general");
  CHECK(f.status("c1") == ContactStatus::waiting);
  CHECK(f.holder("c1").empty());
  CHECK_THAT(f.sink.of(EventKind::queued).at(0).reason, Catch::Contains("queue closed"));
}

TEST_CASE("opening a queue offers its waiting contacts at once, most urgent first") {
  Fixture f({queue("general")});
  f.agent("ana");
  REQUIRE(f.engine->set_queue_open("general", false).has_value());
  f.add("low", "general", 0);
  f.add("high", "general", 10);
  f.tick(1h);
  REQUIRE(f.engine->set_queue_open("general", true).has_value());
  CHECK(f.holder("high") == "ana");
  CHECK(f.holder("low").empty());
}

TEST_CASE("an agent who frees up does not take a contact from a closed queue") {
  Fixture f({queue("general"), queue("night")});
  f.agent("ana");
  f.add("busy", "night");
  REQUIRE(f.holder("busy") == "ana");
  REQUIRE(f.engine->set_queue_open("general", false).has_value());
  f.add("held", "general");
  REQUIRE(f.engine->accept("busy", "ana").has_value());
  REQUIRE(f.engine->complete("busy", "ana").has_value());
  CHECK(f.holder("held").empty());
}

TEST_CASE("closing a queue keeps offers in flight; they can still be accepted") {
  Fixture f({queue("general")});
  f.agent("ana");
  f.add("c1", "general");
  REQUIRE(f.status("c1") == ContactStatus::offered);
  REQUIRE(f.engine->set_queue_open("general", false).has_value());
  CHECK(f.status("c1") == ContactStatus::offered);
  CHECK(f.engine->accept("c1", "ana").has_value());
}

TEST_CASE("out of hours escalation waits; SLA timers run; steps count from the opening") {
  QueueSpec q = queue("general");
  q.escalation = {EscalationStep{60s, 0, {}, 5}};
  Fixture f({q});
  REQUIRE(f.engine->set_queue_open("general", false).has_value());
  f.add("c1", "general", 0, 10min);
  f.tick(11min);
  CHECK(f.sink.of(EventKind::escalated).empty());
  CHECK(f.sink.of(EventKind::sla_breached).size() == 1);
  REQUIRE(f.engine->set_queue_open("general", true).has_value());
  CHECK(f.engine->contact("c1")->queue_entered_ms == f.now());
  f.tick(59s);
  CHECK(f.sink.of(EventKind::escalated).empty());
  f.tick(1s);
  CHECK(f.sink.of(EventKind::escalated).size() == 1);
}

TEST_CASE("set_queue_open on an unknown queue is refused") {
  Fixture f({queue("general")});
  CHECK_FALSE(f.engine->set_queue_open("nope", false).has_value());
}

TEST_CASE("next_transition names the next opening and the next closing") {
  const auto hours = office_hours("Asia/Shanghai");
  // Monday 2025-01-06 08:30 in Shanghai (UTC+8): opens at 09:00, closes at 18:00.
  CHECK(next_transition(hours, at("2025-01-06T08:30:00+08:00")) == at("2025-01-06T09:00:00+08:00"));
  CHECK(next_transition(hours, at("2025-01-06T09:00:00+08:00")) == at("2025-01-06T18:00:00+08:00"));
  CHECK(next_transition(hours, at("2025-01-06T12:34:56.789+08:00")) ==
        at("2025-01-06T18:00:00+08:00"));
  // Friday evening: the next opening is Monday morning.
  CHECK(next_transition(hours, at("2025-01-10T18:00:00+08:00")) == at("2025-01-13T09:00:00+08:00"));
}

TEST_CASE("next_transition skips holidays") {
  auto hours = office_hours("UTC");
  hours.holidays = {20250106};
  CHECK(next_transition(hours, at("2025-01-05T12:00:00Z")) == at("2025-01-07T09:00:00Z"));
}

TEST_CASE("next_transition follows the clock change in New York") {
  const auto hours = office_hours("America/New_York");
  // Friday 2025-03-07 closes at 18:00 EST; the opening on Monday 2025-03-10 is 09:00 EDT.
  CHECK(next_transition(hours, at("2025-03-07T23:30:00Z")) == at("2025-03-10T13:00:00Z"));
}

TEST_CASE("next_transition is none for a queue that is never open") {
  BusinessHours never;
  never.zone = TimeZone::utc();
  CHECK_FALSE(next_transition(never, at("2025-01-06T00:00:00Z")).has_value());
}

TEST_CASE("the daemon's timer loop with a manual clock opens and closes the queue on time") {
  const auto hours = office_hours("UTC");
  Fixture f({queue("general")});
  f.clock.set_unix_ms(at("2025-01-06T08:00:00Z"));
  f.agent("ana");
  REQUIRE(f.engine->set_queue_open("general", hours.is_open(f.now())).has_value());
  f.add("c1", "general");
  REQUIRE(f.holder("c1").empty());
  auto transition = next_transition(hours, f.now());
  REQUIRE(transition == at("2025-01-06T09:00:00Z"));
  f.clock.set_unix_ms(*transition);
  REQUIRE(f.engine->set_queue_open("general", hours.is_open(f.now())).has_value());
  CHECK(f.holder("c1") == "ana");
}
