#include "daemon/app/heartbeats.h"

#include <boost/asio/post.hpp>

namespace omniroute::daemon {

std::chrono::system_clock::time_point MonotonicClock::now() const {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::steady_clock::now().time_since_epoch()));
}

const MonotonicClock& MonotonicClock::instance() {
  static const MonotonicClock clock;
  return clock;
}

std::size_t LoopHeartbeats::add(std::string name) {
  loops_.emplace_back(std::move(name), clock_.now_unix_ms());
  return loops_.size() - 1;
}

void LoopHeartbeats::beat(std::size_t loop) {
  loops_[loop].last_ms.store(clock_.now_unix_ms(), std::memory_order_relaxed);
}

std::chrono::milliseconds LoopHeartbeats::age(std::size_t loop) const {
  const auto ms = clock_.now_unix_ms() - loops_[loop].last_ms.load(std::memory_order_relaxed);
  return std::chrono::milliseconds(ms > 0 ? ms : 0);
}

LoopHeartbeats::Verdict LoopHeartbeats::check(std::chrono::milliseconds limit) {
  Verdict v;
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    const bool stuck = age(i) > limit;
    if (stuck) {
      v.healthy = false;
      v.stuck.push_back(i);
      if (!loops_[i].reported_stuck) v.newly_stuck.push_back(i);
    } else if (loops_[i].reported_stuck) {
      v.recovered.push_back(i);
    }
    loops_[i].reported_stuck = stuck;
  }
  return v;
}

HeartbeatTimer::HeartbeatTimer(boost::asio::io_context& io, LoopHeartbeats& beats, std::size_t loop,
                               std::chrono::milliseconds interval)
    : io_(io), timer_(io), beats_(beats), loop_(loop), interval_(interval) {}

// The timer is touched only on its loop, so start and stop go through the loop too.
void HeartbeatTimer::start() {
  boost::asio::post(io_, [this] { arm(); });
}

void HeartbeatTimer::stop() {
  boost::asio::post(io_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void HeartbeatTimer::arm() {
  if (stopped_) return;
  beats_.beat(loop_);
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) arm();
  });
}

}  // namespace omniroute::daemon
