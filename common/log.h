// Structured logs: one JSON object per line on stderr (journald keeps them). Message bodies
// and secrets never go in unless redaction is switched off explicitly.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>

namespace omniroute {

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

class Logger {
 public:
  // fd 2 by default; tests may pass another descriptor.
  explicit Logger(LogLevel level = LogLevel::info, int fd = 2) : level_(level), fd_(fd) {}

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
  int fd_;
  std::mutex write_mutex_;  // one line is one write(2); the mutex keeps lines whole
};

// JSON string escaping shared by the logger and hand-built JSON bodies.
void append_json_string(std::string& out, std::string_view s);

}  // namespace omniroute
