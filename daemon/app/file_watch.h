// Notices when files change on disk (modification time, size or inode), so that editing the
// config or the rules file reloads them like SIGHUP does. Polled: robust against editors that
// replace files instead of writing them in place, and against files that vanish for a moment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace omniroute::daemon {

class FileWatch {
 public:
  explicit FileWatch(std::vector<std::string> paths);

  // True once after any watched file changed since the last call (or since construction).
  bool changed();

 private:
  struct Stamp {
    std::int64_t mtime_ns = -1;  // -1: missing
    std::int64_t size = -1;
    std::uint64_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp stamp(const std::string& path);

  std::vector<std::string> paths_;
  std::vector<Stamp> stamps_;
};

}  // namespace omniroute::daemon
