// Time is injected: production code asks a Clock, tests hand in a ManualClock they move by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace omniroute {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for timestamps, SLA deadlines stored in Redis, replay windows).
  virtual std::chrono::system_clock::time_point now() const = 0;
  std::int64_t now_unix_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock tests move explicitly; safe to read from several threads.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t unix_ms = 1'700'000'000'000) : ms_(unix_ms) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void set_unix_ms(std::int64_t ms) { ms_.store(ms); }
  void advance(std::chrono::milliseconds d) { ms_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace omniroute
