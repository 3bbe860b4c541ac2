// The logger writes through a bounded queue to one writer thread: lines arrive whole and in
// order, a full queue drops and counts instead of blocking the caller, stopping flushes
// (invariant 8: a slow stderr or a flood of log lines cannot stall an I/O thread).
#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"

using namespace omniroute;

namespace {

constexpr std::chrono::seconds kDeadline{30};  // bounds a wait; never a measurement

void set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

// A pipe the logger writes into; `fill()` leaves it full so the next write(2) blocks.
struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    read_fd = fds[0];
    write_fd = fds[1];
  }
  ~Pipe() {
    close_write();
    ::close(read_fd);
  }
  void close_write() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }
  // Fills the pipe with lines that are not JSON, so readers can tell them apart.
  void fill() {
    set_nonblocking(write_fd, true);
    std::string page(4095, 'x');
    page.push_back('\n');
    while (::write(write_fd, page.data(), page.size()) > 0) {
    }
    while (::write(write_fd, "\n", 1) > 0) {
    }
    set_nonblocking(write_fd, false);
  }
  // What is in the pipe now, without waiting.
  std::string available() {
    set_nonblocking(read_fd, true);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    set_nonblocking(read_fd, false);
    return out;
  }
};

// Reads a pipe on its own thread until end of file, so the writer never blocks on it.
class PipeReader {
 public:
  explicit PipeReader(int fd)
      : thread_([this, fd] {
          char buf[65536];
          ssize_t n;
          while ((n = ::read(fd, buf, sizeof buf)) > 0) {
            std::lock_guard lock(mutex_);
            text_.append(buf, static_cast<size_t>(n));
            grew_.notify_all();
          }
        }) {}
  ~PipeReader() {
    if (thread_.joinable()) thread_.join();
  }
  // Waits (bounded) until the text read so far contains `needle`.
  bool wait_for(const std::string& needle) {
    std::unique_lock lock(mutex_);
    return grew_.wait_for(lock, kDeadline, [&] { return text_.find(needle) != std::string::npos; });
  }
  // Everything read, once the write end is closed.
  std::string finish() {
    thread_.join();
    return text_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable grew_;
  std::string text_;
  std::thread thread_;
};

// The JSON lines of `text` (filler lines skipped), parsed; fails the test on a torn line.
std::vector<boost::json::object> json_lines(const std::string& text) {
  std::vector<boost::json::object> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() != '{') continue;
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    INFO(line);
    REQUIRE(!ec);
    REQUIRE(value.is_object());
    out.push_back(value.as_object());
  }
  return out;
}

std::vector<boost::json::object> with_msg(const std::vector<boost::json::object>& lines,
                                          std::string_view msg) {
  std::vector<boost::json::object> out;
  for (const auto& l : lines) {
    if (l.at("msg").as_string() == msg) out.push_back(l);
  }
  return out;
}

}  // namespace

TEST_CASE("before the writer starts, a line is written on the calling thread") {
  Pipe pipe;
  Logger logger(LogLevel::info, pipe.write_fd);
  logger.info("hello", {{"n", 1}});
  auto lines = json_lines(pipe.available());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].at("msg").as_string() == "hello");
  CHECK(lines[0].at("n").as_int64() == 1);
}

TEST_CASE("lines from many threads arrive whole and in order through the writer") {
  constexpr int kThreads = 4;
  constexpr int kLines = 1000;  // well over a pipe's 64 KiB, within the queue's bounds
  Pipe pipe;
  PipeReader reader(pipe.read_fd);
  {
    Logger logger(LogLevel::info, pipe.write_fd);
    logger.start_writer();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&logger, t] {
        for (int i = 0; i < kLines; ++i) {
          logger.info("line", {{"thread", t}, {"seq", i}, {"text", "a \"quoted\"\nvalue"}});
        }
      });
    }
    for (auto& th : threads) th.join();
    REQUIRE(logger.flush());
    CHECK(logger.dropped_lines() == 0);
  }
  pipe.close_write();
  auto lines = json_lines(reader.finish());
  REQUIRE(lines.size() == kThreads * kLines);
  std::map<std::int64_t, std::int64_t> next_seq;
  for (const auto& l : lines) {
    CHECK(l.at("text").as_string() == "a \"quoted\"\nvalue");
    auto& expected = next_seq[l.at("thread").as_int64()];
    REQUIRE(l.at("seq").as_int64() == expected);
    ++expected;
  }
}

TEST_CASE("a full queue drops and counts lines instead of blocking the caller (invariant 8)") {
  constexpr int kLines = 1000;
  constexpr std::size_t kQueueLines = 16;
  Pipe pipe;
  pipe.fill();  // nobody reads: the writer blocks in write(2)
  Metrics metrics;
  Counter& drops = metrics.counter("omniroute_log_dropped_lines_total", "test");
  std::unique_ptr<PipeReader> reader;
  std::uint64_t dropped = 0;
  {
    Logger logger(LogLevel::info, pipe.write_fd, LogQueueLimits{kQueueLines, 1 << 20});
    logger.count_drops_in(&drops);
    logger.start_writer();
    for (int i = 0; i < kLines; ++i) logger.info("line", {{"seq", i}});
    // Every call returned. At most one batch is with the writer and one queue is waiting.
    dropped = logger.dropped_lines();
    CHECK(dropped >= kLines - 2 * kQueueLines);
    CHECK(drops.value() == dropped);

    reader = std::make_unique<PipeReader>(pipe.read_fd);  // unblock the writer
    REQUIRE(logger.flush());
  }
  pipe.close_write();
  auto lines = json_lines(reader->finish());
  auto written = with_msg(lines, "line");
  CHECK(written.size() + dropped == kLines);
  for (std::size_t i = 1; i < written.size(); ++i) {
    CHECK(written[i].at("seq").as_int64() > written[i - 1].at("seq").as_int64());
  }
  auto reports = with_msg(lines, "log lines dropped");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].at("dropped").as_int64() == static_cast<std::int64_t>(dropped));
  CHECK(reports[0].at("dropped_total").as_int64() == static_cast<std::int64_t>(dropped));
}

TEST_CASE("destroying the logger writes what is still queued") {
  Pipe pipe;
  {
    Logger logger(LogLevel::info, pipe.write_fd);
    logger.start_writer();
    for (int i = 0; i < 200; ++i) logger.info("line", {{"seq", i}});
  }
  auto lines = json_lines(pipe.available());
  REQUIRE(lines.size() == 200);
  CHECK(lines.back().at("seq").as_int64() == 199);
}

TEST_CASE("after stop_writer lines are written on the calling thread again") {
  Pipe pipe;
  Logger logger(LogLevel::info, pipe.write_fd);
  logger.start_writer();
  logger.info("queued");
  REQUIRE(logger.stop_writer());
  logger.info("direct");
  auto lines = json_lines(pipe.available());
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].at("msg").as_string() == "direct");
}

TEST_CASE("a writer stuck in write(2) does not hold up stopping; later lines are dropped") {
  Pipe pipe;
  pipe.fill();
  Logger logger(LogLevel::info, pipe.write_fd);
  logger.start_writer();
  logger.info("stuck");
  // The writer cannot finish while the pipe is full, so no wait could succeed.
  CHECK_FALSE(logger.stop_writer(std::chrono::milliseconds(0)));
  logger.info("after the stop");  // returns: counted, not written, not waited for
  CHECK(logger.dropped_lines() == 1);
  CHECK_FALSE(logger.flush());

  PipeReader reader(pipe.read_fd);  // let the abandoned writer finish
  REQUIRE(reader.wait_for("log lines dropped"));
  pipe.close_write();  // the writer wrote its last line: the drop report
  auto lines = json_lines(reader.finish());
  CHECK(with_msg(lines, "stuck").size() == 1);
  CHECK(with_msg(lines, "after the stop").empty());
}
