// Specification of the console's static files: read into memory at load (start and reload),
// served with a strong ETag and Cache-Control: no-cache, 304 for a matching If-None-Match,
// within size caps, and nothing outside the served folders.
#include "api/static_files.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace omniroute;
using omniroute::api::StaticFiles;
using omniroute::api::StaticLimits;
namespace fs = std::filesystem;

namespace {

// A web root of its own in the temp folder, removed at the end.
struct WebRoot {
  WebRoot() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("omniroute-static-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    write("console/index.html", "<h1>console</h1>");
    write("console/console.js", "export const a = 1;");
    write("vendor/lib/lib.js", "export const lib = 1;");
  }
  ~WebRoot() { fs::remove_all(path); }

  void write(const std::string& relative, const std::string& content) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative, std::ios::binary | std::ios::trunc) << content;
  }
  std::string root() const { return path.string(); }

  fs::path path;
};

daemon::HttpResponse get(const StaticFiles& files, const std::string& path,
                         daemon::HttpHeaders headers = {}, const std::string& method = "GET") {
  daemon::HttpRequest request;
  request.method = method;
  request.path = request.target = path;
  request.headers = std::move(headers);
  auto response = files.serve(request);
  REQUIRE(response);
  return *response;
}

std::string header(const daemon::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

}  // namespace

TEST_CASE("static files are served from memory with a strong ETag and Cache-Control: no-cache") {
  WebRoot web;
  StaticFiles files(web.root());
  auto loaded = files.load();
  REQUIRE(loaded.has_value());
  CHECK(loaded->files == 3);
  CHECK(loaded->bytes == 16 + 19 + 21);

  auto page = get(files, "/console/");
  CHECK(page.status == 200);
  CHECK(page.body == "<h1>console</h1>");
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(header(page, "Cache-Control") == "no-cache");
  CHECK(header(page, "X-Content-Type-Options") == "nosniff");
  const auto etag = header(page, "ETag");
  REQUIRE(etag.size() == 34);  // 128 bits in hex, quoted; no W/: a strong tag
  CHECK(etag.front() == '"');
  CHECK(etag.back() == '"');

  auto script = get(files, "/console/console.js");
  CHECK(script.content_type == "text/javascript; charset=utf-8");
  CHECK(header(script, "ETag") != etag);
  auto vendored = get(files, "/vendor/lib/lib.js");
  CHECK(vendored.body == "export const lib = 1;");
  CHECK(header(vendored, "Cache-Control") == "no-cache");

  auto head = get(files, "/console/", {}, "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(header(head, "ETag") == etag);

  CHECK(get(files, "/console/missing.js").status == 404);
  CHECK(get(files, "/console/", {}, "POST").status == 405);
}

TEST_CASE("If-None-Match with the current ETag answers 304 with no body") {
  WebRoot web;
  StaticFiles files(web.root());
  REQUIRE(files.load().has_value());
  const auto etag = header(get(files, "/console/console.js"), "ETag");
  const std::string opaque = etag.substr(1, etag.size() - 2);

  auto not_modified = [&](daemon::HttpHeaders headers) {
    auto r = get(files, "/console/console.js", std::move(headers));
    if (r.status != 304) return false;
    CHECK(r.body.empty());
    CHECK(r.content_type.empty());
    CHECK(header(r, "ETag") == etag);  // a 304 carries what the 200 would have
    CHECK(header(r, "Cache-Control") == "no-cache");
    return true;
  };
  CHECK(not_modified({{"if-none-match", etag}}));
  CHECK(not_modified({{"if-none-match", "\"other\", " + etag}}));
  CHECK(not_modified({{"if-none-match", "\"a,b\",W/" + etag}}));  // weak comparison, per RFC 9110
  CHECK(not_modified({{"if-none-match", "*"}}));
  CHECK(not_modified({{"if-none-match", "\"other\""}, {"if-none-match", etag}}));  // one list
  CHECK(get(files, "/console/console.js", {{"if-none-match", etag}}, "HEAD").status == 304);

  // Anything else gets the file.
  CHECK_FALSE(not_modified({{"if-none-match", "\"other\""}}));
  CHECK_FALSE(not_modified({{"if-none-match", opaque}}));  // unquoted: not an entity tag
  CHECK_FALSE(not_modified({{"if-none-match", "\"" + opaque}}));
  CHECK_FALSE(not_modified({{"if-match", etag}}));
  auto full = get(files, "/console/console.js", {{"if-none-match", "\"other\""}});
  CHECK(full.status == 200);
  CHECK(full.body == "export const a = 1;");
  // Another file's tag is not this file's.
  CHECK(get(files, "/console/", {{"if-none-match", etag}}).status == 200);
}

TEST_CASE("a file changed on disk is served unchanged until the next load, then with a new ETag") {
  WebRoot web;
  StaticFiles files(web.root());
  REQUIRE(files.load().has_value());
  const auto before = get(files, "/console/console.js");

  web.write("console/console.js", "export const a = 2;");
  web.write("console/new.js", "new");
  fs::remove(web.path / "console/index.html");
  auto unchanged = get(files, "/console/console.js");
  CHECK(unchanged.body == "export const a = 1;");
  CHECK(header(unchanged, "ETag") == header(before, "ETag"));
  CHECK(get(files, "/console/").status == 200);
  CHECK(get(files, "/console/new.js").status == 404);

  REQUIRE(files.load().has_value());
  auto changed = get(files, "/console/console.js");
  CHECK(changed.body == "export const a = 2;");
  CHECK(header(changed, "ETag") != header(before, "ETag"));
  CHECK(get(files, "/console/console.js", {{"if-none-match", header(before, "ETag")}}).status ==
        200);
  CHECK(get(files, "/console/new.js").body == "new");
  CHECK(get(files, "/console/").status == 404);
}

TEST_CASE("paths that escape the served folders are refused") {
  WebRoot web;
  web.write("secret.txt", "outside the served folders");
  web.write("console/.hidden", "a hidden file");
  web.write("console/.git/config", "a hidden folder");
  web.write("other/page.html", "not a served folder");
  StaticFiles files(web.root());
  auto loaded = files.load();
  REQUIRE(loaded.has_value());
  CHECK(loaded->files == 3);  // the hidden and outside files were never read

  CHECK(get(files, "/console/../secret.txt").status == 404);
  CHECK(get(files, "/console/%2e%2e/secret.txt").status == 404);
  CHECK(get(files, "/console//console.js").status == 404);
  CHECK(get(files, "/console/.hidden").status == 404);
  CHECK(get(files, "/console/.git/config").status == 404);
  daemon::HttpRequest other;
  other.method = "GET";
  other.path = "/other/page.html";
  CHECK_FALSE(files.serve(other));  // not ours at all: the caller answers
  CHECK(get(files, "/").status == 302);
  CHECK(get(files, "/dashboard").status == 301);
}

TEST_CASE("a file over the per-file cap fails the load and the files served stay") {
  WebRoot web;
  StaticFiles files(web.root(), StaticLimits{32, 1000});
  REQUIRE(files.load().has_value());
  web.write("console/console.js", "export const a = 2;");
  web.write("vendor/big.js", std::string(33, 'b'));

  auto loaded = files.load();
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().code == Errc::too_large);
  CHECK(loaded.error().message.find("big.js is over the limit of 32 bytes per file") !=
        std::string::npos);
  CHECK(get(files, "/console/console.js").body == "export const a = 1;");
  CHECK(get(files, "/vendor/big.js").status == 404);
}

TEST_CASE("files over the total cap fail the load") {
  WebRoot web;
  StaticFiles files(web.root(), StaticLimits{32, 50});  // the three files hold 56 bytes
  auto loaded = files.load();
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().code == Errc::too_large);
  CHECK(loaded.error().message.find("over the limit of 50 bytes in total") != std::string::npos);
  CHECK(get(files, "/console/").status == 404);  // nothing was served and nothing is
}

TEST_CASE("a web root that is not there fails the load as not_found") {
  StaticFiles files("/nonexistent/omniroute-web");
  auto loaded = files.load();
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().code == Errc::not_found);
  CHECK(get(files, "/console/").status == 404);
}
