// Liveness of the process's event loops (invariant 8): each loop records a heartbeat from a timer
// on itself; the control thread pings the systemd watchdog only while every loop has beaten lately.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/clock.h"

namespace omniroute::daemon {

// Steady time dressed as a Clock, for measuring intervals that a wall-clock step (NTP) must not
// stretch: a jump forward would otherwise make every loop look stuck at once.
class MonotonicClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  static const MonotonicClock& instance();
};

class LoopHeartbeats {
 public:
  explicit LoopHeartbeats(const Clock& clock) : clock_(clock) {}

  // Registers a loop, before any thread beats or checks; its first beat counts as now.
  std::size_t add(std::string name);
  // Records that `loop` ran a task just now. Any thread.
  void beat(std::size_t loop);

  std::size_t size() const { return loops_.size(); }
  const std::string& name(std::size_t loop) const { return loops_[loop].name; }
  // Time since `loop` last beat. Any thread.
  std::chrono::milliseconds age(std::size_t loop) const;

  struct Verdict {
    bool healthy = true;                   // every loop beat within the limit
    std::vector<std::size_t> stuck;        // loops whose last beat is older than the limit
    std::vector<std::size_t> newly_stuck;  // stuck now, not at the previous check: log once
    std::vector<std::size_t> recovered;    // beating again since the previous check
  };
  // One thread only (the control thread): it remembers what the previous check found.
  Verdict check(std::chrono::milliseconds limit);

 private:
  struct Loop {
    explicit Loop(std::string n, std::int64_t now_ms) : name(std::move(n)), last_ms(now_ms) {}
    std::string name;
    std::atomic<std::int64_t> last_ms;
    bool reported_stuck = false;
  };
  const Clock& clock_;
  std::deque<Loop> loops_;  // a deque: the atomics never move
};

// Beats for one loop from a timer on that loop's io_context, every `interval`, so a loop that
// stops running tasks stops beating. start() and stop() from any thread (they post to the loop);
// stop() it before its loop is meant to run out of work, and destroy it only once no thread runs
// that io_context any more.
class HeartbeatTimer {
 public:
  HeartbeatTimer(boost::asio::io_context& io, LoopHeartbeats& beats, std::size_t loop,
                 std::chrono::milliseconds interval);
  HeartbeatTimer(const HeartbeatTimer&) = delete;
  HeartbeatTimer& operator=(const HeartbeatTimer&) = delete;

  void start();
  // Cancels the timer on its loop; a loop left without other work can then run out of work.
  void stop();

 private:
  void arm();

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  LoopHeartbeats& beats_;
  std::size_t loop_;
  std::chrono::milliseconds interval_;
  bool stopped_ = false;  // touched on the loop only
};

}  // namespace omniroute::daemon
