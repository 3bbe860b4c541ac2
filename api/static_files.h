// The console and dashboard pages (web/, api.web_root) served as static files: /console/,
// /dashboard/ and the folders they import from (/shared/, /vendor/). No path escapes the root.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/http/types.h"

namespace omniroute::api {

class StaticFiles {
 public:
  // `root` relative to the working directory, like the rules file.
  explicit StaticFiles(std::string root);

  // The response for `request` when its path is one of ours (any method: others get 405),
  // nullopt when the path is not under a served folder.
  std::optional<daemon::HttpResponse> serve(const daemon::HttpRequest& request) const;

  // text/html; charset=utf-8, text/javascript, ... by file extension.
  static std::string_view content_type(std::string_view path);

 private:
  daemon::HttpResponse file(std::string_view path, bool head) const;
  std::string root_;
};

}  // namespace omniroute::api
