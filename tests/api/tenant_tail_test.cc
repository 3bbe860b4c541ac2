// Specification of the API's tail of a tenant's results stream: a command's result is never
// missed, however late the tail's first read runs after the tail was made.
#include "api/tenant_tail.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "common/log.h"
#include "daemon/redis/url.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::api;
using omniroute::testing::RedisServer;

namespace {

TailOptions tail_options(const RedisServer& redis) {
  TailOptions o;
  o.redis.endpoint = daemon::parse_redis_url(redis.url()).value();
  o.block = std::chrono::milliseconds(100);
  return o;
}

}  // namespace

TEST_CASE("a result written before the tail's first read still reaches its command") {
  RedisServer redis;
  boost::asio::io_context io;
  Logger log(LogLevel::error);
  auto keys = daemon::TenantKeys::make("omni", "demo").value();
  std::optional<std::string> got;
  TailSinks sinks;
  sinks.on_result = [&](const std::string& id, int status, std::string body) {
    if (id == "cmd-1") got = std::to_string(status) + " " + body;
  };
  // Made (the API is serving), then the router answers a command before the tail has read
  // anything: with the cursor taken at the first read, this result would be skipped (504).
  TenantTail tail(io, tail_options(redis), keys, std::move(sinks), log);
  redis.command({"XADD", keys.results(), "*", "id", "cmd-1", "status", "200", "body", "{}"});
  tail.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!got && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(50));
  }
  tail.stop();
  io.run_for(std::chrono::milliseconds(200));
  REQUIRE(got.has_value());
  CHECK(*got == "200 {}");
}
