// Specification of the embedded redis-server: private unix socket, answers, persists to the
// data dir, and is gone (process, socket, runtime dir) after destruction.
#include "daemon/redis/embedded.h"

#include <signal.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/redis/client.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::daemon;
namespace fs = std::filesystem;

TEST_CASE("embedded redis starts on a private socket, answers, and is gone after destruction") {
  std::string socket, dir;
  pid_t pid = -1;
  {
    EmbeddedRedis redis(EmbeddedRedisOptions{});
    socket = redis.socket_path();
    dir = redis.runtime_dir();
    pid = redis.pid();
    CHECK(fs::exists(socket));
    struct stat st {};
    REQUIRE(stat(dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);

    boost::asio::io_context io;
    Logger log(LogLevel::error);
    Metrics metrics;
    RedisClientOptions options;
    options.endpoint = parse_redis_url(redis.url()).value();
    RedisClient client(io, options, log, metrics);
    client.start();
    REQUIRE(testing::run_until(io, [&] { return client.ready(); }));
    std::optional<Result<RedisReply>> reply;
    client.command({"CONFIG", "GET", "appendonly"}, [&](auto r) { reply = std::move(r); });
    REQUIRE(testing::run_until(io, [&] { return reply.has_value(); }));
    REQUIRE(reply->has_value());
    REQUIRE((*reply)->elements.size() == 2);
    CHECK((*reply)->elements[1].str == "yes");
    client.stop();
    io.run_for(std::chrono::seconds(2));
  }
  CHECK(kill(pid, 0) == -1);  // reaped: no such process
  CHECK_FALSE(fs::exists(socket));
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("embedded redis keeps its append-only file in the configured data dir") {
  const fs::path data =
      fs::temp_directory_path() / ("omniroute-embedded-" + std::to_string(getpid()));
  fs::remove_all(data);
  { EmbeddedRedis redis(EmbeddedRedisOptions{"redis-server", data.string()}); }
  CHECK(fs::exists(data / "appendonlydir"));
  fs::remove_all(data);
}

TEST_CASE("a missing redis-server binary stops start-up with a clear message") {
  EmbeddedRedisOptions options;
  options.redis_server = "redis-server-that-does-not-exist";
  CHECK_THROWS_WITH(EmbeddedRedis(options), Catch::Contains("not found in PATH"));
}

TEST_CASE("a redis-server that exits at start-up is reported with its log") {
  EmbeddedRedisOptions options;
  options.redis_server = "/bin/false";
  CHECK_THROWS_WITH(EmbeddedRedis(options), Catch::Contains("exited during start-up"));
}
