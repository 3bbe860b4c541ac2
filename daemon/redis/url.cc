// Parses Redis connection URLs with Boost.URL, so percent-encoded passwords, IPv6 hosts and
// odd ports are handled by a real RFC 3986 parser rather than string splitting.
#include "daemon/redis/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace omniroute::daemon {
namespace {

Error bad_url(std::string why) {
  return make_error(Errc::invalid_input, "invalid redis url: " + std::move(why));
}

Result<int> parse_db(std::string_view text) {
  int db = -1;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, db);
  if (text.empty() || ec != std::errc() || ptr != end || db < 0) {
    return bad_url("database must be a non-negative integer, got '" + std::string(text) + "'");
  }
  return db;
}

void read_userinfo(const boost::urls::url_view& u, RedisEndpoint& ep) {
  if (!u.has_userinfo()) return;
  ep.user = u.user();
  if (u.has_password()) ep.password = u.password();
  // "redis://secret@host" is how some tools write a password without a user.
  if (!u.has_password()) ep.password = std::exchange(ep.user, std::string());
}

Result<RedisEndpoint> parse_tcp(const boost::urls::url_view& u) {
  RedisEndpoint ep;
  ep.kind = RedisEndpoint::Kind::tcp;
  if (!u.has_authority() || u.encoded_host().empty()) return bad_url("missing host");
  ep.host = u.host_address();
  if (u.has_port()) {
    // Boost.URL keeps the digits as written; port_number() would wrap 99999 silently.
    const std::string_view text = u.port();
    int port = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || port < 1 ||
        port > 65535) {
      return bad_url("port must be 1-65535, got '" + std::string(text) + "'");
    }
    ep.port = static_cast<std::uint16_t>(port);
  }
  read_userinfo(u, ep);
  const std::string path = u.path();
  if (!path.empty() && path != "/") {
    auto db = parse_db(std::string_view(path).substr(1));
    if (!db) return db.error();
    ep.db = *db;
  }
  if (u.has_query()) return bad_url("query parameters are not supported for redis://");
  return ep;
}

Result<RedisEndpoint> parse_unix(const boost::urls::url_view& u) {
  RedisEndpoint ep;
  ep.kind = RedisEndpoint::Kind::unix_socket;
  if (!u.encoded_host().empty()) {
    return bad_url("unix:// takes no host; write unix:///absolute/path.sock");
  }
  ep.socket_path = u.path();
  if (ep.socket_path.size() < 2 || ep.socket_path.front() != '/') {
    return bad_url("unix:// needs an absolute socket path");
  }
  read_userinfo(u, ep);
  for (const auto& param : u.params()) {
    if (param.key != "db") return bad_url("unknown query parameter '" + param.key + "'");
    auto db = parse_db(param.value);
    if (!db) return db.error();
    ep.db = *db;
  }
  return ep;
}

}  // namespace

std::string RedisEndpoint::describe() const {
  if (kind == Kind::unix_socket) return "unix://" + socket_path + "?db=" + std::to_string(db);
  const bool v6 = host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
         std::to_string(db);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad_url("not a URI (" + parsed.error().message() + ")");
  const boost::urls::url_view& u = *parsed;
  const auto scheme = u.scheme();
  if (u.has_fragment()) return bad_url("fragments are not supported");
  if (scheme == "redis") return parse_tcp(u);
  if (scheme == "unix") return parse_unix(u);
  if (scheme == "rediss") return bad_url("rediss:// (TLS) is not supported by this build");
  return bad_url("scheme must be redis:// or unix://, got '" + std::string(scheme) + "://'");
}

}  // namespace omniroute::daemon
