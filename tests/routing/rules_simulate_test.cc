// The dry-run tools ops run before an edit: `simulate` prints where each event goes, `diff`
// prints what an edit changes; bad lines are reported by number and do not stop the run.
#include <catch2/catch.hpp>
#include <sstream>

#include "routing/simulate.h"

using namespace omniroute::routing;

namespace {
struct Run {
  int code;
  std::string out;
  std::string err;
};

Run simulate(const std::string& rules, const std::string& events) {
  std::ostringstream out, err;
  int code = run_simulate("tests/data/rules/" + rules, "tests/data/rules/" + events, out, err);
  return {code, out.str(), err.str()};
}

Run diff(const std::string& before, const std::string& after, const std::string& events) {
  std::ostringstream out, err;
  int code = run_diff("tests/data/rules/" + before, "tests/data/rules/" + after,
                      "tests/data/rules/" + events, out, err);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("simulate prints rule, tier, queue, skills, priority and deadline for each event") {
  auto run = simulate("simple.yaml", "events.jsonl");
  CHECK(run.code == 0);
  CHECK(run.err.empty());
  CHECK(run.out ==
        "line 2 event E1: rule=default tier=standard queue=general skills=english:2 priority=0 "
        "deadline=2025-01-06T10:15:00Z tags=-\n"
        "line 3 event E2: rule=vip tier=vip queue=general skills=english:2 priority=20 "
        "deadline=2025-01-06T10:01:00Z tags=vip\n"
        "line 5 event E3: rule=default tier=standard queue=general skills=english:2 priority=0 "
        "deadline=2025-01-06T10:15:00Z tags=-\n"
        "line 6 event E4: rule=vip tier=vip queue=general skills=english:2 priority=20 "
        "deadline=2025-01-06T10:01:00Z tags=vip\n");
}

TEST_CASE("simulate reports bad event lines by number, goes on, and exits 1") {
  auto run = simulate("simple.yaml", "events-with-errors.jsonl");
  CHECK(run.code == 1);
  CHECK_THAT(run.out, Catch::Contains("line 1 event E1: rule=default"));
  CHECK_THAT(run.out, Catch::Contains("line 5 event E5: rule=default"));
  CHECK_THAT(run.err, Catch::Contains("events-with-errors.jsonl:2: not a ContactEvent"));
  CHECK_THAT(run.err,
             Catch::Contains("events-with-errors.jsonl:3: received_at_unix_ms is required"));
  CHECK_THAT(run.err, Catch::Contains("events-with-errors.jsonl:4: not a ContactEvent"));
}

TEST_CASE("simulate refuses an invalid rules file with its file:line:col errors") {
  auto run = simulate("invalid.yaml", "events.jsonl");
  CHECK(run.code == 1);
  CHECK(run.out.empty());
  CHECK_THAT(run.err,
             Catch::Contains("tests/data/rules/invalid.yaml:8:23: rules[0].when.channels[0]: "
                             "unknown channel 'smss' (did you mean 'sms'?)"));
  CHECK_THAT(run.err, Catch::Contains("tests/data/rules/invalid.yaml:7:3: rules: no default rule"));
}

TEST_CASE("simulate names an events file it cannot open") {
  auto run = simulate("simple.yaml", "missing.jsonl");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("missing.jsonl: cannot open the events file"));
}

TEST_CASE("diff lists each event that routes differently, field by field, and a summary") {
  auto run = diff("simple.yaml", "simple-new.yaml", "events.jsonl");
  CHECK(run.code == 0);  // differences are the answer, not an error
  CHECK(run.err.empty());
  CHECK(run.out ==
        "line 2 event E1:\n"
        "  rule: default -> complaints\n"
        "  queue: general -> complaints\n"
        "  skills: english:2 -> complaints:3\n"
        "  priority: 0 -> 5\n"
        "line 6 event E4:\n"
        "  rule: vip -> complaints\n"
        "  queue: general -> complaints\n"
        "  skills: english:2 -> complaints:3\n"
        "  priority: 20 -> 25\n"
        "  tags: vip -> -\n"
        "2 of 4 events route differently\n");
}

TEST_CASE("diff of a rules file against itself finds no difference") {
  auto run = diff("simple.yaml", "simple.yaml", "events.jsonl");
  CHECK(run.code == 0);
  CHECK(run.out == "0 of 4 events route differently\n");
}

TEST_CASE("diff exits 1 when either rules file is invalid") {
  auto run = diff("simple.yaml", "invalid.yaml", "events.jsonl");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("invalid.yaml:8:23"));
}

TEST_CASE("events parse from protobuf JSON with snake_case or lowerCamel names") {
  auto a = parse_event_json(R"({"event_id": "A", "received_at_unix_ms": "5"})");
  auto b = parse_event_json(R"({"eventId": "A", "receivedAtUnixMs": 5})");
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->event_id() == b->event_id());
  CHECK(a->received_at_unix_ms() == b->received_at_unix_ms());
  CHECK_FALSE(parse_event_json(R"({"event_idd": "A"})").has_value());  // a typo is an error
}

TEST_CASE("format_decision marks a contact moved or held by out-of-hours handling") {
  RoutingDecision d;
  d.rule = "r";
  d.tier = "standard";
  d.queue = "night";
  d.rule_queue = "office";
  CHECK_THAT(format_decision(d), Catch::EndsWith("rule_queue=office"));
  d.queue = d.rule_queue;
  d.queue_closed = true;
  CHECK_THAT(format_decision(d), Catch::EndsWith("waiting=out_of_hours"));
}
