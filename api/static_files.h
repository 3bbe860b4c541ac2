// The console and dashboard pages (web/, api.web_root) served from memory: /console/,
// /dashboard/ and the folders they import from (/shared/, /vendor/). Loaded at start and on
// reload, never read from disk per request; strong ETags; no path escapes the root.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "daemon/http/types.h"

namespace omniroute::api {

// Caps on what a load may hold in memory, so a stray file under web_root (a log, a video)
// cannot swell the daemon. Over either, the load fails whole (docs/api.md, "Static pages").
struct StaticLimits {
  std::size_t max_file_bytes = 8 * 1024 * 1024;
  std::size_t max_total_bytes = 64 * 1024 * 1024;
};

// One file as served: the bytes and every header of its 200 (and, less the type, its 304).
struct StaticFile {
  std::string body;
  std::string content_type;
  std::string etag;             // strong: a hash of the body, quoted
  daemon::HttpHeaders headers;  // ETag, Cache-Control, ...
};

class StaticFiles {
 public:
  struct Loaded {
    std::size_t files = 0;
    std::size_t bytes = 0;
  };

  // `root` relative to the working directory, like the rules file. Serves nothing until load().
  explicit StaticFiles(std::string root, StaticLimits limits = {});

  // Reads every file under the served folders into a new set and swaps it in; responses being
  // built keep the set they started with. On error (Errc::not_found: no root folder;
  // Errc::too_large: over a cap; else unreadable) the served set stays as it was. Blocks on
  // the disk: call it from the control thread (start, reload), never from an I/O thread.
  Result<Loaded> load();

  // The response for `request` when its path is one of ours (any method: others get 405),
  // nullopt when the path is not under a served folder. Reads memory only; any thread.
  std::optional<daemon::HttpResponse> serve(const daemon::HttpRequest& request) const;

  // text/html; charset=utf-8, text/javascript, ... by file extension.
  static std::string_view content_type(std::string_view path);

  const std::string& root() const { return root_; }

 private:
  using Site = std::unordered_map<std::string, StaticFile>;  // by URL path, "/console/index.html"

  daemon::HttpResponse file(const std::string& path, const daemon::HttpRequest& request) const;

  const std::string root_;
  const StaticLimits limits_;
  std::atomic<std::shared_ptr<const Site>> site_;
};

}  // namespace omniroute::api
