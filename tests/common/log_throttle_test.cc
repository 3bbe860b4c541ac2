// LogThrottle: one line per (source, reason) per interval, the rest counted, memory bounded.
#include "common/log_throttle.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "common/metrics.h"

using namespace omniroute;
using namespace std::chrono_literals;

TEST_CASE("the first line for a key passes; repeats within the interval are suppressed") {
  ManualClock clock;
  LogThrottle throttle(clock, {10s, 1024, nullptr});
  CHECK(throttle.admit("twilio", "bad signature") == std::optional<std::uint64_t>(0));
  CHECK_FALSE(throttle.admit("twilio", "bad signature"));
  clock.advance(9999ms);
  CHECK_FALSE(throttle.admit("twilio", "bad signature"));
  CHECK(throttle.suppressed_total() == 2);
}

TEST_CASE("after the interval one line passes and says how many were suppressed") {
  ManualClock clock;
  LogThrottle throttle(clock, {10s, 1024, nullptr});
  REQUIRE(throttle.admit("twilio", "bad signature"));
  for (int i = 0; i < 5; ++i) REQUIRE_FALSE(throttle.admit("twilio", "bad signature"));
  clock.advance(10s);
  CHECK(throttle.admit("twilio", "bad signature") == std::optional<std::uint64_t>(5));
  CHECK_FALSE(throttle.admit("twilio", "bad signature"));  // a new interval began
  clock.advance(10s);
  CHECK(throttle.admit("twilio", "bad signature") == std::optional<std::uint64_t>(1));
  CHECK(throttle.suppressed_total() == 6);
}

TEST_CASE("distinct sources and reasons are throttled independently") {
  ManualClock clock;
  LogThrottle throttle(clock);
  CHECK(throttle.admit("twilio", "bad signature"));
  CHECK(throttle.admit("twilio", "signature missing"));
  CHECK(throttle.admit("other", "bad signature"));
  CHECK_FALSE(throttle.admit("twilio", "bad signature"));
  CHECK(throttle.suppressed_total() == 1);
  CHECK(throttle.tracked_keys() == 3);
}

TEST_CASE("the number of keys tracked is capped, forgetting the least recently seen") {
  ManualClock clock;
  LogThrottle throttle(clock, {10s, 3, nullptr});
  REQUIRE(throttle.admit("a", "r"));
  REQUIRE(throttle.admit("b", "r"));
  REQUIRE(throttle.admit("c", "r"));
  REQUIRE_FALSE(throttle.admit("a", "r"));  // "a" is now the most recently seen
  REQUIRE(throttle.admit("d", "r"));        // forgets "b"
  CHECK(throttle.tracked_keys() == 3);
  CHECK(throttle.admit("b", "r"));        // forgotten: passes again (and forgets "c")
  CHECK_FALSE(throttle.admit("a", "r"));  // still throttled
  CHECK_FALSE(throttle.admit("d", "r"));
  for (int i = 0; i < 10000; ++i) throttle.admit("flood", std::to_string(i));
  CHECK(throttle.tracked_keys() == 3);
}

TEST_CASE("suppressed lines are counted in the metrics counter when one is given") {
  ManualClock clock;
  Metrics metrics;
  Counter& suppressed = metrics.counter("omniroute_log_suppressed_lines_total", "test");
  LogThrottle throttle(clock, {10s, 1024, &suppressed});
  for (int i = 0; i < 4; ++i) throttle.admit("api", "expired");
  CHECK(suppressed.value() == 3);
}

TEST_CASE("a clock stepped back starts a new interval rather than silencing the key") {
  ManualClock clock;
  LogThrottle throttle(clock, {10s, 1024, nullptr});
  REQUIRE(throttle.admit("twilio", "bad signature"));
  REQUIRE_FALSE(throttle.admit("twilio", "bad signature"));
  clock.advance(-1h);
  CHECK(throttle.admit("twilio", "bad signature") == std::optional<std::uint64_t>(1));
}
