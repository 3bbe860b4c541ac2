#include "daemon/app/loop_thread.h"

#include <pthread.h>

#include <exception>

#include "common/log.h"

namespace omniroute::daemon {

LoopThread::LoopThread(std::string name, Logger& log) : name_(std::move(name)), log_(log) {}

LoopThread::~LoopThread() {
  finish(std::chrono::milliseconds(0));
}

void LoopThread::start() {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { run(); });
}

void LoopThread::run() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  for (;;) {
    try {
      io_.run();
      break;
    } catch (const std::exception& e) {
      // A handler that throws is a bug; the loop keeps serving the others.
      log_.error("loop thread caught an exception", {{"thread", name_}, {"what", e.what()}});
    }
  }
  std::lock_guard lock(mutex_);
  ended_ = true;
  ended_cv_.notify_all();
}

bool LoopThread::finish(std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return true;
  work_.reset();
  bool ran_out = false;
  {
    std::unique_lock lock(mutex_);
    ran_out = ended_cv_.wait_for(lock, grace, [this] { return ended_; });
  }
  if (!ran_out) io_.stop();
  thread_.join();
  return ran_out;
}

}  // namespace omniroute::daemon
