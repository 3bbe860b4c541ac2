// One log line per (source, reason) per interval: a flood of rejected requests costs a map
// lookup and a counter each, not a line each. The line that passes says how many it stands for.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace omniroute {

class Counter;
class Metrics;

struct LogThrottleOptions {
  std::chrono::milliseconds interval{std::chrono::seconds(10)};
  // Keys tracked at most; a new key beyond this forgets the least recently seen one.
  std::size_t max_keys = 1024;
  // Also counts suppressed lines here (a /metrics series) when set; must outlive the throttle.
  Counter* suppressed_counter = nullptr;
};

class LogThrottle {
 public:
  explicit LogThrottle(const Clock& clock, LogThrottleOptions options = {});

  // Whether to write the line for (source, reason) now. nullopt: suppress it (it is counted).
  // Otherwise: write it, with this many lines of the same key suppressed since the last one
  // written (0 the first time). Thread-safe.
  std::optional<std::uint64_t> admit(std::string_view source, std::string_view reason);

  std::uint64_t suppressed_total() const;
  std::size_t tracked_keys() const;

 private:
  struct Entry {
    std::string key;
    std::chrono::system_clock::time_point written_at;  // when its last line passed
    std::uint64_t suppressed = 0;                      // since then
  };
  using Recency = std::list<Entry>;  // most recently seen first

  Recency::iterator find_or_insert(std::string key, std::chrono::system_clock::time_point now,
                                   bool& inserted);

  const Clock& clock_;
  const LogThrottleOptions options_;
  mutable std::mutex mutex_;
  Recency recency_;
  std::unordered_map<std::string_view, Recency::iterator> index_;  // views into recency_ keys
  std::uint64_t suppressed_total_ = 0;
};

// omniroute_log_suppressed_lines_total{site}: the lines a throttle held back at one log site
// (e.g. "webhook_rejected"); pass it as LogThrottleOptions::suppressed_counter.
Counter& log_suppressed_counter(Metrics& metrics, const std::string& site);

}  // namespace omniroute
