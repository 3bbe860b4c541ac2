// The watchdog rule (invariant 8): systemd gets a ping only while every event loop has beaten
// within the limit; a stuck loop is named once, and a loop that beats again counts as healthy.
#include "daemon/app/heartbeats.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using omniroute::ManualClock;
using omniroute::daemon::HeartbeatTimer;
using omniroute::daemon::LoopHeartbeats;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kLimit{15'000};

}  // namespace

TEST_CASE("loops that all beat within the limit are healthy") {
  ManualClock clock;
  LoopHeartbeats beats(clock);
  const auto http = beats.add("http-0");
  const auto router = beats.add("router");

  clock.advance(milliseconds(10'000));
  beats.beat(http);
  beats.beat(router);
  clock.advance(kLimit);  // exactly the limit: not yet stuck

  const auto verdict = beats.check(kLimit);
  CHECK(verdict.healthy);
  CHECK(verdict.stuck.empty());
  CHECK(verdict.newly_stuck.empty());
  CHECK(beats.age(router) == kLimit);
}

TEST_CASE("one loop that stopped beating makes the process unhealthy, by its name") {
  ManualClock clock;
  LoopHeartbeats beats(clock);
  const auto http0 = beats.add("http-0");
  const auto http1 = beats.add("http-1");
  const auto router = beats.add("router");

  clock.advance(kLimit + milliseconds(1));
  beats.beat(http0);  // the I/O threads keep beating: only the router is stuck
  beats.beat(http1);

  const auto verdict = beats.check(kLimit);
  CHECK_FALSE(verdict.healthy);
  REQUIRE(verdict.stuck.size() == 1);
  CHECK(beats.name(verdict.stuck[0]) == "router");
  CHECK(verdict.newly_stuck == verdict.stuck);
  CHECK(beats.age(router) == kLimit + milliseconds(1));
}

TEST_CASE("a loop that never beat after it was registered is stuck once the limit passes") {
  ManualClock clock;
  LoopHeartbeats beats(clock);
  beats.add("http-0");
  CHECK(beats.check(kLimit).healthy);

  clock.advance(kLimit + milliseconds(1));
  CHECK_FALSE(beats.check(kLimit).healthy);
}

TEST_CASE("a stuck loop is reported once, and again as recovered when it beats") {
  ManualClock clock;
  LoopHeartbeats beats(clock);
  const auto router = beats.add("router");

  clock.advance(kLimit * 2);
  CHECK(beats.check(kLimit).newly_stuck == std::vector<std::size_t>{router});

  clock.advance(milliseconds(1'000));
  const auto still = beats.check(kLimit);
  CHECK_FALSE(still.healthy);        // the ping stays withheld on every check...
  CHECK(still.newly_stuck.empty());  // ...but the log line is not repeated

  beats.beat(router);  // merely busy after all
  const auto back = beats.check(kLimit);
  CHECK(back.healthy);
  CHECK(back.recovered == std::vector<std::size_t>{router});
  CHECK(beats.check(kLimit).recovered.empty());
}

TEST_CASE("a clock that steps back never makes a loop look stuck") {
  ManualClock clock;
  LoopHeartbeats beats(clock);
  const auto loop = beats.add("http-0");
  clock.advance(milliseconds(-60'000));
  CHECK(beats.age(loop) == milliseconds(0));
  CHECK(beats.check(kLimit).healthy);
}

TEST_CASE("a heartbeat timer beats only while its loop runs tasks") {
  ManualClock clock;
  LoopHeartbeats beats(clock);
  const auto loop = beats.add("router");
  boost::asio::io_context io;
  HeartbeatTimer timer(io, beats, loop, milliseconds(1));

  clock.advance(kLimit * 2);
  timer.start();
  CHECK_FALSE(beats.check(kLimit).healthy);  // posted, but the loop has not run it yet

  io.poll();  // the loop runs: its first beat is taken at once
  CHECK(beats.check(kLimit).healthy);

  timer.stop();
  io.run();  // returns: a stopped timer leaves its loop no work
  clock.advance(kLimit * 2);
  CHECK_FALSE(beats.check(kLimit).healthy);
}
