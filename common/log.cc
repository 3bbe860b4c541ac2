#include "common/log.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "common/metrics.h"

namespace omniroute {
namespace {

std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

void append_timestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  out += buf;
}

// Writes all of `data`, retrying interrupted and partial writes and waiting out a non-blocking
// descriptor. Gives up on any other error: there is nowhere to report a failing log.
void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
    } else if (n == 0 || errno != EINTR) {
      return;
    }
  }
}

// A batch goes out in writes of about this size: few system calls, bounded copies.
constexpr std::size_t kWriteChunkBytes = 64 * 1024;
// The writer reports drops at once, then at most this often.
constexpr std::chrono::seconds kDropReportInterval{10};

}  // namespace

bool parse_log_level(std::string_view name, LogLevel& out) {
  for (auto l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (name == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string Logger::body_for_log(std::string_view body) const {
  if (!redact_bodies_.load()) return std::string(body);
  return "[redacted " + std::to_string(body.size()) + " bytes]";
}

std::string format_log_line(LogLevel level, std::string_view msg,
                            std::initializer_list<LogField> fields) {
  std::string line = "{\"ts\":\"";
  append_timestamp(line);
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  append_json_string(line, msg);
  for (const auto& f : fields) {
    line.push_back(',');
    append_json_string(line, f.key);
    line.push_back(':');
    if (auto s = std::get_if<std::string_view>(&f.value)) {
      append_json_string(line, *s);
    } else if (auto i = std::get_if<std::int64_t>(&f.value)) {
      line += std::to_string(*i);
    } else if (auto d = std::get_if<double>(&f.value)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", *d);
      line += buf;
    } else {
      line += std::get<bool>(f.value) ? "true" : "false";
    }
  }
  line += "}\n";
  return line;
}

namespace detail {

// Where lines go: written directly until the writer starts, then through a bounded queue that
// one thread drains. The mutex is held only to push or swap the queue, never across write(2).
class LogSink : public std::enable_shared_from_this<LogSink> {
 public:
  LogSink(int fd, LogQueueLimits limits) : fd_(fd), limits_(limits) {}

  void submit(std::string line) {
    std::unique_lock lock(mutex_);
    if (mode_ == Mode::queued) return enqueue(std::move(line), lock);
    if (mode_ == Mode::discard) return drop();
    lock.unlock();
    std::lock_guard write_lock(write_mutex_);  // one line is one write(2); lines stay whole
    write_all(fd_, line);
  }

  void start() {
    std::lock_guard lock(mutex_);
    if (mode_ != Mode::direct) return;
    mode_ = Mode::queued;
    stopping_ = false;
    exited_ = false;
    thread_ = std::thread([self = shared_from_this()] { self->run(); });
  }

  bool stop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (mode_ != Mode::queued) return mode_ == Mode::direct;
    stopping_ = true;
    wake_.notify_one();
    const bool exited = written_.wait_for(lock, timeout, [&] { return exited_; });
    std::thread writer = std::move(thread_);  // a concurrent stop() finds no thread to join
    if (exited) {
      mode_ = Mode::direct;
      lock.unlock();
      if (writer.joinable()) writer.join();
      return true;
    }
    // Stuck in write(2): leave the thread (it owns a reference to this sink) and drop from now
    // on, since writing here would block on the same descriptor.
    mode_ = Mode::discard;
    lock.unlock();
    if (writer.joinable()) writer.detach();
    return false;
  }

  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (mode_ != Mode::queued) return mode_ == Mode::direct;
    const std::uint64_t target = lines_queued_;
    return written_.wait_for(lock, timeout, [&] { return lines_written_ >= target; });
  }

  std::uint64_t dropped() const { return dropped_.load(); }
  void set_drop_counter(Counter* counter) { drop_counter_.store(counter); }

 private:
  enum class Mode { direct, queued, discard };

  void enqueue(std::string line, std::unique_lock<std::mutex>& lock) {
    if (queue_.size() >= limits_.max_lines || queued_bytes_ + line.size() > limits_.max_bytes) {
      return drop();
    }
    const bool was_empty = queue_.empty();
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    ++lines_queued_;
    lock.unlock();
    if (was_empty) wake_.notify_one();  // the writer sleeps only on an empty queue
  }

  void drop() {
    dropped_.fetch_add(1);
    if (auto* counter = drop_counter_.load()) counter->inc();
  }

  // The writer thread: swap the queue out, write it in a few large writes, report drops.
  void run() {
    std::vector<std::string> batch;
    std::unique_lock lock(mutex_);
    for (;;) {
      auto ready = [&] { return !queue_.empty() || stopping_; };
      if (dropped_.load() != drops_reported_) {
        wake_.wait_until(lock, last_report_ + kDropReportInterval, ready);
      } else {
        wake_.wait(lock, ready);
      }
      if (queue_.empty() && stopping_) break;
      batch.swap(queue_);
      queued_bytes_ = 0;
      lock.unlock();
      write_batch(batch);
      report_drops(false);
      lock.lock();
      lines_written_ += batch.size();
      batch.clear();
      written_.notify_all();
    }
    lock.unlock();
    report_drops(true);  // nothing is left unsaid at exit
    lock.lock();
    exited_ = true;
    written_.notify_all();
  }

  void write_batch(const std::vector<std::string>& batch) {
    std::string chunk;
    std::lock_guard write_lock(write_mutex_);
    for (const auto& line : batch) {
      chunk += line;
      if (chunk.size() >= kWriteChunkBytes) {
        write_all(fd_, chunk);
        chunk.clear();
      }
    }
    write_all(fd_, chunk);
  }

  // On the writer thread: one line for the drops since the last report, at most once per
  // interval unless `now_or_never` (at exit).
  void report_drops(bool now_or_never) {
    const std::uint64_t total = dropped_.load();
    if (total == drops_reported_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!now_or_never && drops_reported_ != 0 && now < last_report_ + kDropReportInterval) return;
    const auto line =
        format_log_line(LogLevel::warn, "log lines dropped",
                        {{"dropped", static_cast<std::int64_t>(total - drops_reported_)},
                         {"dropped_total", static_cast<std::int64_t>(total)}});
    {
      std::lock_guard write_lock(write_mutex_);
      write_all(fd_, line);
    }
    drops_reported_ = total;
    last_report_ = now;
  }

  const int fd_;
  const LogQueueLimits limits_;

  std::mutex mutex_;                 // guards the fields up to write_mutex_
  std::condition_variable wake_;     // the writer: lines queued or stop asked
  std::condition_variable written_;  // flush() and stop(): a batch is out, or the writer exited
  Mode mode_ = Mode::direct;
  std::vector<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t lines_queued_ = 0;
  std::uint64_t lines_written_ = 0;
  bool stopping_ = false;
  bool exited_ = false;
  std::thread thread_;

  std::mutex write_mutex_;  // one writer of the descriptor at a time
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<Counter*> drop_counter_{nullptr};
  // The writer thread's own.
  std::uint64_t drops_reported_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace detail

Logger::Logger(LogLevel level, int fd, LogQueueLimits limits)
    : level_(level), sink_(std::make_shared<detail::LogSink>(fd, limits)) {}

Logger::~Logger() {
  stop_writer();
}

void Logger::start_writer() {
  sink_->start();
}

bool Logger::stop_writer(std::chrono::milliseconds timeout) {
  return sink_->stop(timeout);
}

bool Logger::flush(std::chrono::milliseconds timeout) {
  return sink_->flush(timeout);
}

std::uint64_t Logger::dropped_lines() const {
  return sink_->dropped();
}

void Logger::count_drops_in(Counter* counter) {
  sink_->set_drop_counter(counter);
}

void Logger::log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  sink_->submit(format_log_line(level, msg, fields));
}

}  // namespace omniroute
