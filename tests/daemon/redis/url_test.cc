// Specification of Redis URL parsing: the forms operators write, and clear refusals.
#include "daemon/redis/url.h"

#include <catch2/catch.hpp>

using omniroute::Errc;
using omniroute::daemon::parse_redis_url;
using omniroute::daemon::RedisEndpoint;

TEST_CASE("a plain redis URL gives host, port and database") {
  auto ep = parse_redis_url("redis://10.0.0.5:6380/2");
  REQUIRE(ep.has_value());
  CHECK(ep->kind == RedisEndpoint::Kind::tcp);
  CHECK(ep->host == "10.0.0.5");
  CHECK(ep->port == 6380);
  CHECK(ep->db == 2);
  CHECK(ep->user.empty());
  CHECK(ep->password.empty());
}

TEST_CASE("port and database default to 6379 and 0") {
  auto ep = parse_redis_url("redis://cache.internal");
  REQUIRE(ep.has_value());
  CHECK(ep->host == "cache.internal");
  CHECK(ep->port == 6379);
  CHECK(ep->db == 0);
  CHECK(parse_redis_url("redis://cache.internal/")->db == 0);
}

TEST_CASE("a password without a user means AUTH <password>") {
  auto ep = parse_redis_url("redis://:s3cret@localhost:6379/0");
  REQUIRE(ep.has_value());
  CHECK(ep->user.empty());
  CHECK(ep->password == "s3cret");
}

TEST_CASE("an ACL user and password are both taken, percent-decoded") {
  auto ep = parse_redis_url("redis://omniroute:p%40ss%3Aw0rd@localhost:6379/1");
  REQUIRE(ep.has_value());
  CHECK(ep->user == "omniroute");
  CHECK(ep->password == "p@ss:w0rd");
  CHECK(ep->db == 1);
}

TEST_CASE("an IPv6 host is given to hiredis without brackets") {
  auto ep = parse_redis_url("redis://[::1]:7000");
  REQUIRE(ep.has_value());
  CHECK(ep->host == "::1");
  CHECK(ep->port == 7000);
  CHECK(ep->describe() == "redis://[::1]:7000/0");
}

TEST_CASE("a unix socket URL gives the path and an optional database") {
  auto ep = parse_redis_url("unix:///run/omniroute/redis.sock?db=3");
  REQUIRE(ep.has_value());
  CHECK(ep->kind == RedisEndpoint::Kind::unix_socket);
  CHECK(ep->socket_path == "/run/omniroute/redis.sock");
  CHECK(ep->db == 3);
  CHECK(parse_redis_url("unix:///tmp/r.sock")->db == 0);
}

TEST_CASE("describe() never shows the password") {
  auto ep = parse_redis_url("redis://admin:hunter2@db:6379/4");
  REQUIRE(ep.has_value());
  CHECK(ep->describe() == "redis://db:6379/4");
  CHECK(ep->describe().find("hunter2") == std::string::npos);
}

TEST_CASE("bad redis URLs are refused with the reason") {
  struct Case {
    const char* url;
    const char* reason;
  };
  const Case cases[] = {
      {"http://localhost:6379", "scheme must be redis:// or unix://"},
      {"rediss://localhost:6380", "TLS"},
      {"redis://localhost:0", "port must be 1-65535"},
      {"redis://localhost:99999", "port must be 1-65535"},
      {"redis://localhost/abc", "database must be a non-negative integer"},
      {"redis://localhost/1/2", "database must be a non-negative integer"},
      {"redis:///0", "missing host"},
      {"redis://localhost/0?timeout=1", "query parameters"},
      {"unix://host/tmp/r.sock", "takes no host"},
      {"unix:///tmp/r.sock?db=x", "database must be"},
      {"unix:///tmp/r.sock?dbx=1", "unknown query parameter 'dbx'"},
      {"unix://", "absolute socket path"},
      {"localhost:6379", "scheme must be"},
      {"not a url", "not a URI"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    auto ep = parse_redis_url(c.url);
    REQUIRE_FALSE(ep.has_value());
    CHECK(ep.error().code == Errc::invalid_input);
    CHECK_THAT(ep.error().message, Catch::Contains(c.reason));
  }
}
