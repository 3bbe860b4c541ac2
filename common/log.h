// Structured logs: one JSON object per line on stderr (journald keeps them), written by one
// writer thread behind a bounded queue so a slow stderr never stalls the thread that logs.
// Message bodies and secrets never go in unless redaction is switched off explicitly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace omniroute {

class Counter;

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

// nullopt-free parse: returns false on an unknown name.
bool parse_log_level(std::string_view name, LogLevel& out);

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, std::size_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
};

// How much the writer's queue holds before log() drops lines instead of waiting.
struct LogQueueLimits {
  std::size_t max_lines = 8192;
  std::size_t max_bytes = 4 * 1024 * 1024;
};

namespace detail {
class LogSink;
}

class Logger {
 public:
  // How long stop_writer() (and the destructor) waits for the queue to be written.
  static constexpr std::chrono::milliseconds kStopTimeout{2000};

  // fd 2 by default; tests may pass another descriptor. Until start_writer() each line is
  // written on the calling thread.
  explicit Logger(LogLevel level = LogLevel::info, int fd = 2, LogQueueLimits limits = {});
  ~Logger();  // stop_writer()
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // From now on log() only formats and queues the line; one thread writes. A full queue drops
  // the line and counts it (dropped_lines()); it never waits.
  void start_writer();
  // Writes what is queued, waiting at most `timeout`, and joins the writer; later lines are
  // written on the calling thread again. Returns false if the writer was stuck in write(2): it
  // is left to finish on its own and later lines are dropped (and counted), never waited for.
  bool stop_writer(std::chrono::milliseconds timeout = kStopTimeout);
  // Waits until every line queued so far is written; false if `timeout` passed first.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Lines dropped because the queue was full (or the writer stuck) since construction.
  std::uint64_t dropped_lines() const;
  // Also counts drops in `counter` (a /metrics series); nullptr stops it. The counter must
  // outlive the Logger or be unset first.
  void count_drops_in(Counter* counter);

  void set_level(LogLevel level) { level_.store(level); }
  bool enabled(LogLevel level) const { return level >= level_.load(); }
  void set_redact_bodies(bool redact) { redact_bodies_.store(redact); }
  // What to log for a customer's message body: "[redacted N bytes]" unless redaction is off.
  std::string body_for_log(std::string_view body) const;

  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(LogLevel::debug, m, f);
  }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(LogLevel::info, m, f);
  }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(LogLevel::warn, m, f);
  }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(LogLevel::error, m, f);
  }

 private:
  std::atomic<LogLevel> level_;
  std::atomic<bool> redact_bodies_{true};
  // Shared with the writer thread, which keeps it alive if it has to be left behind.
  std::shared_ptr<detail::LogSink> sink_;
};

// One log line as the logger writes it: {"ts":..,"level":..,"msg":..,<fields>}\n
std::string format_log_line(LogLevel level, std::string_view msg,
                            std::initializer_list<LogField> fields);

// JSON string escaping shared by the logger and hand-built JSON bodies.
void append_json_string(std::string& out, std::string_view s);

}  // namespace omniroute
