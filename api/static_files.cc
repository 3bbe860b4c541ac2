// Static files from memory. Paths are checked as text before they are looked up: only plain
// segments of [A-Za-z0-9._-], none starting with '.', so "..", "%2e" and hidden files never
// resolve; the loader keeps only files whose path passes the same check. Symlinks inside the
// root are followed when loading (ops may link a custom page in).
#include "api/static_files.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "common/crypto.h"

namespace omniroute::api {
namespace {

namespace fs = std::filesystem;

// Folders of web/ that are served; anything else under / is not ours.
constexpr std::array<std::string_view, 4> kFolders = {"console", "dashboard", "shared", "vendor"};
// Deeper than this is a symlink loop, not a web page.
constexpr int kMaxDepth = 16;

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

bool is_ours(std::string_view path) {
  return std::any_of(kFolders.begin(), kFolders.end(), [&](std::string_view folder) {
    return path.size() > folder.size() + 1 && path[0] == '/' &&
           path.substr(1, folder.size()) == folder && path[folder.size() + 1] == '/';
  });
}

daemon::HttpResponse redirect(int status, std::string location) {
  daemon::HttpResponse r{status, "text/plain; charset=utf-8", "", {}};
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

// RFC 9110 13.1.2: "*" or a list of entity tags, compared weakly (W/"x" matches "x"). The
// field's lines form one list. A malformed list matches nothing: the client gets the 200.
bool list_matches(std::string_view list, std::string_view etag) {
  std::size_t i = 0;
  while (i < list.size()) {
    if (list[i] == ' ' || list[i] == '\t' || list[i] == ',') {
      ++i;
      continue;
    }
    if (list[i] == '*') return true;
    if (list.substr(i).starts_with("W/")) i += 2;
    if (i >= list.size() || list[i] != '"') return false;
    const auto close = list.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (list.substr(i, close + 1 - i) == etag) return true;
    i = close + 1;
  }
  return false;
}

bool none_match_hits(const daemon::HttpRequest& request, std::string_view etag) {
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& header) {
    return header.first == "if-none-match" && list_matches(header.second, etag);
  });
}

// The whole file, or Errc::too_large as soon as it passes `limit` (the file may be growing:
// its size is what was read, not what stat said).
Result<std::string> read_file(const fs::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::internal, "cannot read " + path.string());
  std::string out;
  std::array<char, 64 * 1024> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    out.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (out.size() > limit) {
      return make_error(Errc::too_large, path.string() + " is over the limit of " +
                                             std::to_string(limit) + " bytes per file");
    }
  }
  if (in.bad()) return make_error(Errc::internal, "cannot read " + path.string());
  return out;
}

StaticFile make_file(const std::string& url, std::string body) {
  StaticFile f;
  f.content_type = std::string(StaticFiles::content_type(url));
  // 128 bits of SHA-256: the same bytes give the same tag across restarts and instances.
  const auto hash = crypto::digest(crypto::Digest::sha256, body);
  f.etag = "\"" + crypto::hex_encode(std::string_view(hash).substr(0, 16)) + "\"";
  f.body = std::move(body);
  // no-cache: browsers keep the file but ask each time; a matching ETag costs a bodiless 304.
  f.headers = {
      {"ETag", f.etag}, {"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  if (url.ends_with(".html")) {
    f.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:");
  }
  return f;
}

// What one load has gathered so far, against the caps.
struct Gathered {
  std::unordered_map<std::string, StaticFile> site;
  StaticFiles::Loaded loaded;
};

Result<void> add_file(const fs::path& disk, const std::string& url, const StaticLimits& limits,
                      Gathered& out) {
  auto body = read_file(disk, limits.max_file_bytes);
  if (!body) return body.error();
  out.loaded.bytes += body->size();
  if (out.loaded.bytes > limits.max_total_bytes) {
    return make_error(Errc::too_large, "the files are over the limit of " +
                                           std::to_string(limits.max_total_bytes) +
                                           " bytes in total (at " + disk.string() + ")");
  }
  out.site.insert_or_assign(url, make_file(url, std::move(*body)));
  ++out.loaded.files;
  return {};
}

// Every servable file under root/<folder>. A folder that is not there serves nothing.
Result<void> add_folder(const std::string& root, std::string_view folder,
                        const StaticLimits& limits, Gathered& out) {
  const fs::path dir = fs::path(root) / folder;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > kMaxDepth) {
      return make_error(Errc::invalid_input, dir.string() + " nests more than " +
                                                 std::to_string(kMaxDepth) +
                                                 " folders deep (a symlink loop?)");
    }
    const std::string url =
        "/" + std::string(folder) + "/" + it->path().lexically_relative(dir).generic_string();
    std::error_code entry_ec;
    if (!is_safe_path(url)) {  // never requested (a hidden file, an odd name): not loaded
      if (it->is_directory(entry_ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(entry_ec)) continue;  // folders, sockets, dangling links
    if (auto added = add_file(it->path(), url, limits, out); !added) return added.error();
  }
  if (ec) return make_error(Errc::internal, "cannot list " + dir.string() + ": " + ec.message());
  return {};
}

}  // namespace

StaticFiles::StaticFiles(std::string root, StaticLimits limits)
    : root_(std::move(root)), limits_(limits), site_(std::make_shared<const Site>()) {}

Result<StaticFiles::Loaded> StaticFiles::load() {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    return make_error(Errc::not_found, "'" + root_ + "' is not a folder");
  }
  Gathered gathered;
  for (auto folder : kFolders) {
    if (auto added = add_folder(root_, folder, limits_, gathered); !added) return added.error();
  }
  site_.store(std::make_shared<const Site>(std::move(gathered.site)));
  return gathered.loaded;
}

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
  if (!is_ours(path)) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = daemon::json_error(405, "method_not_allowed", "static files take GET or HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (!is_safe_path(path)) return daemon::json_error(404, "not_found", "no such file");
  return file(path.ends_with('/') ? path + "index.html" : path, req);
}

daemon::HttpResponse StaticFiles::file(const std::string& path,
                                       const daemon::HttpRequest& request) const {
  const auto site = site_.load();  // this response's files, whatever a reload swaps in now
  const auto found = site->find(path);
  if (found == site->end()) return daemon::json_error(404, "not_found", "no such file");
  const StaticFile& f = found->second;
  if (none_match_hits(request, f.etag)) return {304, "", "", f.headers};
  return {200, f.content_type, request.method == "HEAD" ? "" : f.body, f.headers};
}

}  // namespace omniroute::api
