#include "daemon/app/file_watch.h"

#include <sys/stat.h>

namespace omniroute::daemon {

FileWatch::FileWatch(std::vector<std::string> paths) : paths_(std::move(paths)) {
  for (const auto& p : paths_) stamps_.push_back(stamp(p));
}

FileWatch::Stamp FileWatch::stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return Stamp{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
               static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
}

bool FileWatch::changed() {
  bool any = false;
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    Stamp now = stamp(paths_[i]);
    if (!(now == stamps_[i])) {
      stamps_[i] = now;
      any = true;
    }
  }
  return any;
}

}  // namespace omniroute::daemon
