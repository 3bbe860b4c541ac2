// The ops tools of the real binary: `omniroute check` on rules files, `simulate` and `diff` on
// the small files in tests/data/rules/ — exit codes and the lines ops read.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/daemon_process.h"

using omniroute::testing::omniroute_binary;
using omniroute::testing::run_command;
using omniroute::testing::source_path;

namespace {

std::string rules_data(const std::string& name) {
  return source_path("tests/data/rules/" + name);
}

}  // namespace

TEST_CASE("omniroute check accepts a valid rules file and exits 0") {
  auto r = run_command({omniroute_binary(), "check", rules_data("simple.yaml")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("simple.yaml: OK (routing rules: 2 tiers, 2 queues"));
}

TEST_CASE("omniroute check refuses an invalid rules file with positions and exits 1") {
  auto r = run_command({omniroute_binary(), "check", rules_data("invalid.yaml")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("invalid.yaml:7:3: rules: no default rule"));
  CHECK_THAT(r.output, Catch::Contains("invalid.yaml:8:23: rules[0].when.channels[0]: unknown "
                                       "channel 'smss' (did you mean 'sms'?)"));
}

TEST_CASE("omniroute check still validates the commented example rules ops copy") {
  auto r = run_command({omniroute_binary(), "check", source_path("config/rules.example.yaml")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("OK (routing rules:"));
}

TEST_CASE("omniroute simulate prints one decision per event and exits 0") {
  auto r = run_command(
      {omniroute_binary(), "simulate", rules_data("simple.yaml"), rules_data("events.jsonl")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("line 2 event E1: rule=default tier=standard queue=general "
                                       "skills=english:2 priority=0 "
                                       "deadline=2025-01-06T10:15:00Z tags=-"));
  CHECK_THAT(r.output, Catch::Contains("line 3 event E2: rule=vip tier=vip queue=general "
                                       "skills=english:2 priority=20 "
                                       "deadline=2025-01-06T10:01:00Z tags=vip"));
  CHECK_THAT(r.output, Catch::Contains("line 6 event E4:"));
}

TEST_CASE("omniroute simulate reports bad event lines, routes the good ones and exits 1") {
  auto r = run_command({omniroute_binary(), "simulate", rules_data("simple.yaml"),
                        rules_data("events-with-errors.jsonl")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("line 1 event E1: rule=default"));
  CHECK_THAT(r.output, Catch::Contains("line 5 event E5: rule=default"));
  CHECK_THAT(r.output,
             Catch::Contains("events-with-errors.jsonl:3: received_at_unix_ms is required"));
}

TEST_CASE("omniroute simulate with invalid rules exits 1 and routes nothing") {
  auto r = run_command(
      {omniroute_binary(), "simulate", rules_data("invalid.yaml"), rules_data("events.jsonl")});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("no default rule"));
  CHECK_THAT(r.output, !Catch::Contains("line 2 event"));
}

TEST_CASE("omniroute diff lists the events that route differently and exits 0") {
  auto r = run_command({omniroute_binary(), "diff", rules_data("simple.yaml"),
                        rules_data("simple-new.yaml"), rules_data("events.jsonl")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("line 2 event E1:\n  rule: default -> complaints\n"
                                       "  queue: general -> complaints\n"));
  CHECK_THAT(r.output, Catch::Contains("  priority: 20 -> 25\n  tags: vip -> -\n"));
  CHECK_THAT(r.output, Catch::Contains("2 of 4 events route differently"));
  CHECK_THAT(r.output, !Catch::Contains("event E2:"));
}

TEST_CASE("omniroute diff of a file against itself finds no difference") {
  auto r = run_command({omniroute_binary(), "diff", rules_data("simple.yaml"),
                        rules_data("simple.yaml"), rules_data("events.jsonl")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("0 of 4 events route differently"));
}

TEST_CASE("omniroute diff with a missing file argument prints usage and exits 2") {
  auto r = run_command(
      {omniroute_binary(), "diff", rules_data("simple.yaml"), rules_data("events.jsonl")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("diff needs OLD_RULES NEW_RULES EVENTS.jsonl"));
}
