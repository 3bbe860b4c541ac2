#include "common/log_throttle.h"

#include "common/metrics.h"

namespace omniroute {

LogThrottle::LogThrottle(const Clock& clock, LogThrottleOptions options)
    : clock_(clock), options_(options) {}

std::optional<std::uint64_t> LogThrottle::admit(std::string_view source, std::string_view reason) {
  std::string key;
  key.reserve(source.size() + 1 + reason.size());
  key.append(source).push_back('\x1f');  // unit separator: a clash would only merge two keys
  key.append(reason);
  const auto now = clock_.now();

  std::lock_guard lock(mutex_);
  bool inserted = false;
  auto entry = find_or_insert(std::move(key), now, inserted);
  if (inserted) return 0;
  // A clock stepped back counts as a new interval: better a line too many than none for long.
  if (now >= entry->written_at + options_.interval || now < entry->written_at) {
    const std::uint64_t suppressed = entry->suppressed;
    entry->written_at = now;
    entry->suppressed = 0;
    return suppressed;
  }
  ++entry->suppressed;
  ++suppressed_total_;
  if (options_.suppressed_counter) options_.suppressed_counter->inc();
  return std::nullopt;
}

LogThrottle::Recency::iterator LogThrottle::find_or_insert(
    std::string key, std::chrono::system_clock::time_point now, bool& inserted) {
  if (auto it = index_.find(key); it != index_.end()) {
    recency_.splice(recency_.begin(), recency_, it->second);  // iterators stay valid
    inserted = false;
    return it->second;
  }
  if (options_.max_keys > 0 && index_.size() >= options_.max_keys) {
    index_.erase(recency_.back().key);
    recency_.pop_back();
  }
  recency_.push_front(Entry{std::move(key), now, 0});
  index_.emplace(recency_.front().key, recency_.begin());
  inserted = true;
  return recency_.begin();
}

Counter& log_suppressed_counter(Metrics& metrics, const std::string& site) {
  return metrics.counter("omniroute_log_suppressed_lines_total",
                         "Log lines held back by a throttle (one line per key per interval)",
                         {{"site", site}});
}

std::uint64_t LogThrottle::suppressed_total() const {
  std::lock_guard lock(mutex_);
  return suppressed_total_;
}

std::size_t LogThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

}  // namespace omniroute
