// Routing behaviour tests written in YAML (tests/routing/behavior/*.yaml): each file names a
// rules file and cases (event in, expected decision out), run by the code behind `simulate`.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "routing/simulate.h"

using namespace omniroute::routing;

namespace {
int run(const std::string& path, std::string& report) {
  std::ostringstream out, err;
  int code = run_behavior_tests(path, out, err);
  report = out.str() + err.str();
  return code;
}
}  // namespace

TEST_CASE("every behaviour file in tests/routing/behavior passes") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator("tests/routing/behavior")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    std::string report;
    int code = run(entry.path().string(), report);
    INFO(entry.path().string() << "\n" << report);
    CHECK(code == 0);
  }
  CHECK(files > 0);
}

TEST_CASE("a behaviour case whose expectation is wrong fails and says which field differs") {
  std::string report;
  CHECK(run("tests/data/rules/behavior-failing.yaml", report) == 1);
  CHECK_THAT(report, Catch::Contains("FAIL - a wrong expectation"));
  CHECK_THAT(report, Catch::Contains("queue: expected vip, got general"));
  CHECK_THAT(report, Catch::Contains("ok - a right expectation"));
  CHECK_THAT(report, Catch::Contains("1 of 2 cases pass"));
}

TEST_CASE("a behaviour file with an unknown key is refused with its position") {
  std::string report;
  CHECK(run("tests/data/rules/behavior-invalid.yaml", report) == 1);
  CHECK_THAT(report, Catch::Contains("behavior-invalid.yaml:6:14: cases[0].expect: unknown key "
                                     "'queu' (did you mean 'queue'?)"));
}
