// Static files. Paths are checked as text before touching the file system: only plain
// segments of [A-Za-z0-9._-], none starting with '.', so "..", "%2e" and hidden files never
// resolve; symlinks inside the root are followed (ops may link a custom page in).
#include "api/static_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

namespace omniroute::api {
namespace {

// Folders of web/ that are served; anything else under / is not ours.
constexpr std::array<std::string_view, 4> kFolders = {"/console/", "/dashboard/", "/shared/",
                                                      "/vendor/"};
constexpr std::size_t kMaxFileBytes = 8 * 1024 * 1024;

bool is_safe_path(std::string_view path) {
  if (!path.starts_with('/')) return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto segment = path.substr(start, end - start);
    if (!segment.empty()) {
      if (segment.front() == '.') return false;
      auto ok = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      };
      if (!std::all_of(segment.begin(), segment.end(), ok)) return false;
    } else if (end != path.size()) {
      return false;  // "//" inside
    }
    start = end + 1;
  }
  return true;
}

daemon::HttpResponse redirect(int status, std::string location) {
  daemon::HttpResponse r{status, "text/plain; charset=utf-8", "", {}};
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

}  // namespace

StaticFiles::StaticFiles(std::string root) : root_(std::move(root)) {}

std::string_view StaticFiles::content_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

std::optional<daemon::HttpResponse> StaticFiles::serve(const daemon::HttpRequest& req) const {
  const std::string& path = req.path;
  if (path == "/") return redirect(302, "/console/");
  if (path == "/console" || path == "/dashboard") return redirect(301, path + "/");
  const bool ours = std::any_of(kFolders.begin(), kFolders.end(),
                                [&](std::string_view f) { return path.starts_with(f); });
  if (!ours) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = daemon::json_error(405, "method_not_allowed", "static files take GET or HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (!is_safe_path(path)) return daemon::json_error(404, "not_found", "no such file");
  return file(path.ends_with('/') ? path + "index.html" : path, req.method == "HEAD");
}

daemon::HttpResponse StaticFiles::file(std::string_view path, bool head) const {
  const std::string full = root_ + std::string(path);
  struct stat st {};
  if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
    return daemon::json_error(404, "not_found", "no such file");
  }
  std::ifstream in(full, std::ios::binary);
  if (!in) return daemon::json_error(404, "not_found", "no such file");
  std::ostringstream body;
  body << in.rdbuf();
  daemon::HttpResponse r{200, std::string(content_type(path)), head ? "" : body.str(), {}};
  // Pages and our own scripts change with each release: revalidate. Vendored code is pinned.
  const bool vendored = path.starts_with("/vendor/");
  r.headers.emplace_back("Cache-Control", vendored ? "public, max-age=86400" : "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (path.ends_with(".html")) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:");
  }
  return r;
}

}  // namespace omniroute::api
