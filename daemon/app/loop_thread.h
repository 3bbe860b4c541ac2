// An io_context with a thread of its own: the routers' executor, apart from the HTTP I/O threads,
// so that a slow router never delays a webhook and a flood of webhooks never delays routing.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace omniroute {
class Logger;
}

namespace omniroute::daemon {

class LoopThread {
 public:
  // `name` names the thread (`top -H`, /proc/<pid>/task/*/comm; at most 15 characters).
  LoopThread(std::string name, Logger& log);
  ~LoopThread();  // finish()es with no grace if still running
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  boost::asio::io_context& context() { return io_; }

  // Starts the thread; the work guard keeps it running while it has nothing to do.
  void start();
  // Lets the loop run out of work (what was posted before, e.g. a router's lease release,
  // completes), then joins. After `grace` the io_context is stopped instead, dropping what is
  // left. True if the loop ran out of work in time. Not from the loop's own thread.
  bool finish(std::chrono::milliseconds grace);

 private:
  void run();

  std::string name_;
  Logger& log_;
  boost::asio::io_context io_{1};  // run by one thread (Asio's concurrency hint)
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable ended_cv_;
  bool ended_ = false;
};

}  // namespace omniroute::daemon
