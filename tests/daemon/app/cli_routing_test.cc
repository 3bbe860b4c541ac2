// Specifications of the routing commands on the command line: `simulate` and `diff` parsing, and
// `check` telling a routing rules file from the daemon config by its top-level keys.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/app/cli.h"
#include "tests/support/daemon_process.h"

using namespace omniroute;
using namespace omniroute::daemon;
using omniroute::testing::source_path;

namespace {

omniroute::Result<CommandLine> parse(std::vector<std::string_view> args) {
  return parse_command_line(std::span<const std::string_view>(args));
}

}  // namespace

TEST_CASE("simulate takes a rules file and an events file") {
  auto cl = parse({"simulate", "rules.yaml", "events.jsonl"});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::simulate);
  CHECK(cl->dry_run_files == std::vector<std::string>{"rules.yaml", "events.jsonl"});
}

TEST_CASE("diff takes the old rules, the new rules and an events file, in that order") {
  auto cl = parse({"diff", "old.yaml", "new.yaml", "events.jsonl"});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::diff);
  CHECK(cl->dry_run_files == std::vector<std::string>{"old.yaml", "new.yaml", "events.jsonl"});
}

TEST_CASE("simulate and diff refuse a wrong number of files and say what they need") {
  auto few = parse({"simulate", "rules.yaml"});
  REQUIRE_FALSE(few.has_value());
  CHECK_THAT(few.error().message, Catch::Contains("simulate needs RULES EVENTS.jsonl"));
  auto many = parse({"diff", "a.yaml", "b.yaml", "c.jsonl", "d.jsonl"});
  REQUIRE_FALSE(many.has_value());
  CHECK_THAT(many.error().message, Catch::Contains("diff needs OLD_RULES NEW_RULES EVENTS.jsonl"));
}

TEST_CASE("simulate refuses daemon options: a dry run needs no Redis and no config") {
  auto cl = parse({"simulate", "--redis-url", "redis://x", "rules.yaml", "events.jsonl"});
  REQUIRE_FALSE(cl.has_value());
  CHECK_THAT(cl.error().message, Catch::Contains("simulate takes no options, got '--redis-url'"));
}

TEST_CASE("simulate --help shows the help") {
  auto cl = parse({"simulate", "--help"});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::help);
  CHECK_THAT(usage(), Catch::Contains("omniroute simulate RULES EVENTS.jsonl"));
  CHECK_THAT(usage(), Catch::Contains("omniroute diff OLD NEW EVENTS.jsonl"));
}

TEST_CASE("a file with queues, tiers or rules at the top level is a routing rules file") {
  CHECK(detect_file_kind("version: 1\ntiers:\n  - {name: a}\n") == FileKind::routing_rules);
  CHECK(detect_file_kind("# comment: x\nqueues: [{name: q}]\n") == FileKind::routing_rules);
  CHECK(detect_file_kind("rules :\n  - name: default\n") == FileKind::routing_rules);
}

TEST_CASE("a file with listen or adapters is the daemon config, whatever else it holds") {
  CHECK(detect_file_kind("listen: 127.0.0.1:8080\nadapters: []\n") == FileKind::daemon_config);
  CHECK(detect_file_kind("rules: /etc/omniroute/rules.yaml\nredis:\n  url: x\n") ==
        FileKind::daemon_config);
  CHECK(detect_file_kind("") == FileKind::daemon_config);
  CHECK(detect_file_kind("redis:\n  queues: 3\n") == FileKind::daemon_config);
}

TEST_CASE("check on a valid rules file says OK with what it holds") {
  std::ostringstream out, err;
  const std::string path = source_path("tests/data/rules/simple.yaml");
  CHECK(run_check(path, out, err) == 0);
  CHECK_THAT(out.str(),
             Catch::StartsWith(path + ": OK (routing rules: 2 tiers, 2 queues, 2 rules"));
  CHECK(err.str().empty());
}

TEST_CASE("check on an invalid rules file prints every error as file:line:col and fails") {
  std::ostringstream out, err;
  const std::string path = source_path("tests/data/rules/invalid.yaml");
  CHECK(run_check(path, out, err) == 1);
  CHECK(out.str().empty());
  CHECK_THAT(err.str(), Catch::Contains("invalid.yaml:"));
  CHECK_THAT(err.str(), Catch::Contains("no default rule"));
}

TEST_CASE("check on the daemon config still validates it as the daemon config") {
  std::ostringstream out, err;
  const std::string path = source_path("tests/data/config/broken.yaml");
  CHECK(run_check(path, out, err) == 1);
  CHECK_THAT(err.str(), Catch::Contains("broken.yaml:"));
  CHECK_THAT(err.str(), !Catch::Contains("routing rules"));
}
