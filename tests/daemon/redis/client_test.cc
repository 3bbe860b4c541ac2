// Specification of the Redis client against a real redis-server: pipelining, AUTH/SELECT,
// fail-fast while down, reconnect, timeouts, and a stop() that answers every callback once.
#include "daemon/redis/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "common/log.h"
#include "common/metrics.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::daemon;
using omniroute::testing::RedisServer;
using omniroute::testing::RedisServerOptions;
using omniroute::testing::run_until;

namespace {

// A Logger writing to a temp file the test can read back.
struct CapturedLog {
  std::FILE* file = std::tmpfile();
  Logger logger{LogLevel::debug, fileno(file)};
  ~CapturedLog() { std::fclose(file); }
  std::string text() const {
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    for (off_t off = 0; (n = pread(fileno(file), buf, sizeof buf, off)) > 0; off += n) {
      out.append(buf, n);
    }
    return out;
  }
};

RedisClientOptions options_for(const std::string& url) {
  RedisClientOptions o;
  o.endpoint = parse_redis_url(url).value();
  o.command_timeout = std::chrono::milliseconds(1000);
  o.reconnect_min = std::chrono::milliseconds(10);
  o.reconnect_max = std::chrono::milliseconds(100);
  return o;
}

std::uint64_t errors(Metrics& m, const std::string& kind) {
  return m.counter("omniroute_redis_errors_total", "", {{"kind", kind}}).value();
}

// Sends one command and runs the io_context until its answer is in.
Result<RedisReply> call(boost::asio::io_context& io, RedisClient& client,
                        std::vector<std::string> args) {
  std::optional<Result<RedisReply>> out;
  client.command(std::move(args), [&](Result<RedisReply> r) { out = std::move(r); });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  return std::move(*out);
}

struct Harness {
  explicit Harness(const std::string& url, std::size_t connections = 1)
      : client(io, with_pool(options_for(url), connections), log.logger, metrics) {}
  static RedisClientOptions with_pool(RedisClientOptions o, std::size_t n) {
    o.connections = n;
    return o;
  }
  boost::asio::io_context io;
  CapturedLog log;
  Metrics metrics;
  RedisClient client;
};

}  // namespace

TEST_CASE("a client connects, becomes ready and answers commands") {
  RedisServer redis;
  Harness h(redis.url());
  CHECK_FALSE(h.client.ready());
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));
  CHECK(h.metrics.gauge("omniroute_redis_connected", "").value() == 1);

  auto set = call(h.io, h.client, {"SET", "greeting", std::string("hi\0there", 8)});
  REQUIRE(set.has_value());
  CHECK(set->type == RedisReply::Type::status);
  CHECK(set->str == "OK");
  auto get = call(h.io, h.client, {"GET", "greeting"});
  REQUIRE(get.has_value());
  CHECK(get->str == std::string("hi\0there", 8));  // binary-safe both ways
  auto missing = call(h.io, h.client, {"GET", "nothing-here"});
  CHECK(missing->is_nil());
  CHECK_THAT(h.log.text(), Catch::Contains("redis connected"));
}

TEST_CASE("a Redis error reply is a value the caller inspects, not a failure") {
  RedisServer redis;
  Harness h(redis.url());
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));
  redis.command({"SET", "text", "abc"});
  auto r = call(h.io, h.client, {"INCR", "text"});
  REQUIRE(r.has_value());
  CHECK(r->is_error());
  CHECK_THAT(r->str, Catch::StartsWith("ERR"));
  auto arr = call(h.io, h.client, {"MGET", "text", "none"});
  REQUIRE(arr->is_array());
  REQUIRE(arr->elements.size() == 2);
  CHECK(arr->elements[0].str == "abc");
  CHECK(arr->elements[1].is_nil());
}

TEST_CASE("1000 commands in flight on one connection complete, in order") {
  RedisServer redis;
  Harness h(redis.url());
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));

  std::vector<std::int64_t> seen;
  for (int i = 0; i < 1000; ++i) {  // all sent before the io_context runs again
    h.client.command({"INCR", "counter"}, [&](Result<RedisReply> r) {
      seen.push_back(r.has_value() ? r->integer : -1);
    });
  }
  REQUIRE(run_until(h.io, [&] { return seen.size() == 1000; }));
  for (std::size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == std::int64_t(i + 1));
  CHECK(redis.get("counter") == "1000");
}

TEST_CASE("a pool serves callers on several threads and answers each command once") {
  RedisServer redis;
  Harness h(redis.url(), 3);
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready_connections() == 3; }));
  CHECK(h.metrics.gauge("omniroute_redis_connected", "").value() == 3);

  std::atomic<int> ok{0}, failed{0};
  auto work = boost::asio::make_work_guard(h.io);
  std::vector<std::thread> runners;
  for (int i = 0; i < 2; ++i) runners.emplace_back([&] { h.io.run(); });
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        h.client.command({"INCR", "shared"}, [&](Result<RedisReply> r) {
          (r.has_value() && r->is_integer() ? ok : failed).fetch_add(1);
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ok + failed < 1000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();  // the io threads do the work; this only watches
  }
  work.reset();
  h.io.stop();
  for (auto& t : runners) t.join();
  CHECK(ok == 1000);
  CHECK(failed == 0);
  CHECK(redis.get("shared") == "1000");
}

TEST_CASE("on io_contexts of one thread each, a command is answered on the caller's thread") {
  RedisServer redis;
  Metrics metrics;
  Logger logger(LogLevel::error);
  boost::asio::io_context first(1), second(1);
  auto options = options_for(redis.url());
  options.connections = 1;  // still one per context
  RedisClient client({&first, &second}, options, logger, metrics);
  client.start();
  auto work_first = boost::asio::make_work_guard(first);
  auto work_second = boost::asio::make_work_guard(second);
  std::thread runner_first([&] { first.run(); });
  std::thread runner_second([&] { second.run(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client.ready_connections() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(client.ready_connections() == 2);

  // 200 INCRs issued from each context's thread; every answer must arrive on that same thread.
  std::atomic<int> same_thread{0}, other_thread{0}, failed{0};
  auto issue = [&](boost::asio::io_context& io) {
    boost::asio::post(io, [&] {
      const auto caller = std::this_thread::get_id();
      for (int i = 0; i < 200; ++i) {
        client.command({"INCR", "n"}, [&, caller](Result<RedisReply> r) {
          if (!r || !r->is_integer()) return void(failed.fetch_add(1));
          (std::this_thread::get_id() == caller ? same_thread : other_thread).fetch_add(1);
        });
      }
    });
  };
  issue(first);
  issue(second);
  while (same_thread + other_thread + failed < 400 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  client.stop();
  work_first.reset();
  work_second.reset();
  runner_first.join();
  runner_second.join();
  CHECK(same_thread == 400);
  CHECK(other_thread == 0);
  CHECK(failed == 0);
  CHECK(redis.get("n") == "400");
}

TEST_CASE("AUTH with the right password and SELECT of the configured database") {
  RedisServerOptions opts;
  opts.password = "correct horse";
  RedisServer redis(opts);
  Harness h("redis://:correct%20horse@127.0.0.1:" + std::to_string(redis.port()) + "/3");
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));
  auto info = call(h.io, h.client, {"CLIENT", "INFO"});
  REQUIRE(info.has_value());
  CHECK_THAT(info->str, Catch::Contains(" db=3 "));
}

TEST_CASE("a wrong password leaves the client not ready, with the error logged and counted") {
  RedisServerOptions opts;
  opts.password = "right";
  RedisServer redis(opts);
  Harness h("redis://:wrong@127.0.0.1:" + std::to_string(redis.port()) + "/0");
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return errors(h.metrics, "auth") >= 2; }));  // and retried
  CHECK_FALSE(h.client.ready());
  const std::string log = h.log.text();
  CHECK_THAT(log, Catch::Contains("redis handshake failed"));
  CHECK_THAT(log, Catch::Contains("WRONGPASS"));
  CHECK_THAT(log, !Catch::Contains("wrong\""));  // the password itself is never logged
  auto r = call(h.io, h.client, {"PING"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unavailable);
}

TEST_CASE("commands fail at once with unavailable before the client is connected") {
  RedisServer redis;
  Harness h(redis.url());  // not started
  auto r = call(h.io, h.client, {"PING"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unavailable);
  CHECK(errors(h.metrics, "unavailable") == 1);
}

TEST_CASE("when Redis stops, commands fail fast; when it is back, the client reconnects") {
  RedisServer redis;
  Harness h(redis.url());
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));

  redis.stop();
  REQUIRE(run_until(h.io, [&] { return !h.client.ready(); }));
  CHECK_THAT(h.log.text(), Catch::Contains("redis disconnected"));
  CHECK(h.metrics.gauge("omniroute_redis_connected", "").value() == 0);
  const auto before = std::chrono::steady_clock::now();
  auto r = call(h.io, h.client, {"PING"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unavailable);
  CHECK(std::chrono::steady_clock::now() - before < h.client.options().command_timeout / 2);

  redis.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));
  auto pong = call(h.io, h.client, {"PING"});
  REQUIRE(pong.has_value());
  CHECK(pong->str == "PONG");
  CHECK(h.metrics.counter("omniroute_redis_reconnects_total", "").value() >= 1);
}

TEST_CASE("a command that gets no answer fails with timeout, and the client recovers") {
  RedisServer redis;
  auto options = options_for(redis.url());
  options.command_timeout = std::chrono::milliseconds(200);
  boost::asio::io_context io;
  CapturedLog log;
  Metrics metrics;
  RedisClient client(io, options, log.logger, metrics);
  client.start();
  REQUIRE(run_until(io, [&] { return client.ready(); }));

  redis.pause();
  std::vector<Result<RedisReply>> results;
  for (int i = 0; i < 3; ++i) {
    client.command({"PING"}, [&](Result<RedisReply> r) { results.push_back(std::move(r)); });
  }
  REQUIRE(run_until(io, [&] { return results.size() == 3; }));
  for (const auto& r : results) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::timeout);
  }
  CHECK(errors(metrics, "timeout") >= 1);
  CHECK_FALSE(client.ready());

  redis.resume();
  REQUIRE(run_until(io, [&] { return client.ready(); }));
  auto pong = call(io, client, {"PING"});
  REQUIRE(pong.has_value());
  CHECK(pong->str == "PONG");
}

TEST_CASE("stop() fails every command in flight with unavailable, exactly once each") {
  RedisServer redis;
  Harness h(redis.url(), 2);
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready_connections() == 2; }));

  redis.pause();  // nothing gets answered
  std::vector<int> calls(50, 0);
  int unavailable = 0;
  for (int i = 0; i < 50; ++i) {
    h.client.command({"PING"}, [&, i](Result<RedisReply> r) {
      ++calls[i];
      if (!r.has_value() && r.error().code == Errc::unavailable) ++unavailable;
    });
  }
  h.client.stop();
  h.io.restart();
  h.io.run_for(std::chrono::seconds(5));  // returns early once no work is left
  CHECK(h.io.stopped());                  // i.e. nothing (timer, socket) was left behind
  for (int n : calls) REQUIRE(n == 1);
  CHECK(unavailable == 50);
  CHECK_FALSE(h.client.ready());
  CHECK(h.metrics.gauge("omniroute_redis_connected", "").value() == 0);

  auto late = call(h.io, h.client, {"PING"});
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == Errc::unavailable);
  redis.resume();
}

TEST_CASE("a client pointed at a closed port keeps retrying and logs the failure") {
  const int port = omniroute::testing::free_loopback_port();
  Harness h("redis://127.0.0.1:" + std::to_string(port));
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return errors(h.metrics, "connect") >= 3; }));
  CHECK_FALSE(h.client.ready());
  CHECK_THAT(h.log.text(), Catch::Contains("redis connect failed"));
}

TEST_CASE("a server that accepts but never answers: the handshake times out and is retried") {
  RedisServer redis;
  redis.pause();  // the kernel still accepts connections; nothing answers PING
  auto options = options_for(redis.url());
  options.connect_timeout = std::chrono::milliseconds(100);
  boost::asio::io_context io;
  CapturedLog log;
  Metrics metrics;
  RedisClient client(io, options, log.logger, metrics);
  client.start();
  REQUIRE(run_until(io, [&] { return errors(metrics, "timeout") >= 2; }));
  CHECK_FALSE(client.ready());

  redis.resume();
  REQUIRE(run_until(io, [&] { return client.ready(); }));
  client.stop();
  io.run_for(std::chrono::milliseconds(50));
}

// ---- when a command is written (RedisWrite) ---------------------------------------------------

namespace {

// The client of the per-context constructor on `io`, run by this test's thread.
struct OwnThreadHarness {
  explicit OwnThreadHarness(const std::string& url)
      : client({&io}, options_for(url), log.logger, metrics) {}
  boost::asio::io_context io{1};
  CapturedLog log;
  Metrics metrics;
  RedisClient client;
};

// Polls `redis` from this thread, without running any io_context, until `key` has a value.
bool appears_within_5s(const RedisServer& redis, const std::string& key) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (redis.get(key).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  return !redis.get(key).empty();
}

}  // namespace

TEST_CASE("RedisWrite::now is on the socket before command() returns; with_turn waits for it") {
  RedisServer redis;
  OwnThreadHarness h(redis.url());
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));

  int answered = 0;
  bool with_turn_seen_early = true, now_seen_early = false;
  boost::asio::post(h.io, [&] {
    // Inside a handler of the connection's own thread: nothing else runs until we return.
    h.client.command({"SET", "with_turn", "1"}, [&](Result<RedisReply>) { ++answered; });
    with_turn_seen_early = !redis.get("with_turn").empty();
    h.client.command(
        {"SET", "now", "1"}, [&](Result<RedisReply>) { ++answered; }, RedisWrite::now);
    now_seen_early = appears_within_5s(redis, "now");
  });
  REQUIRE(run_until(h.io, [&] { return answered == 2; }));
  CHECK_FALSE(with_turn_seen_early);     // still in the client's buffer
  CHECK(now_seen_early);                 // Redis ran it while the handler was still going
  CHECK(redis.get("with_turn") == "1");  // written with it, in order
}

TEST_CASE("a RedisWrite::now that fails answers later, on the loop, never inside command()") {
  // A fake Redis: answers the handshake's PING, then resets the connection.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  OwnThreadHarness h("redis://127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  h.client.start();
  int peer = -1;
  std::thread fake([&] {
    peer = ::accept(listener, nullptr, nullptr);
    char ping[64];
    if (peer >= 0 && ::read(peer, ping, sizeof ping) > 0) (void)!::write(peer, "+PONG\r\n", 7);
  });
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));
  fake.join();
  const linger reset{1, 0};  // close with RST: the client's next write fails
  ::setsockopt(peer, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(peer);
  ::close(listener);

  std::optional<Result<RedisReply>> result;
  bool answered_inside = false;
  boost::asio::post(h.io, [&] {
    h.client.command(
        {"PING"}, [&](Result<RedisReply> r) { result = std::move(r); }, RedisWrite::now);
    answered_inside = result.has_value();
  });
  REQUIRE(run_until(h.io, [&] { return result.has_value(); }));
  CHECK_FALSE(answered_inside);
  REQUIRE_FALSE(result->has_value());
  CHECK(result->error().code == Errc::unavailable);
  h.client.stop();
  h.io.run_for(std::chrono::milliseconds(50));
}

TEST_CASE("a command built in RESP goes out as is; binary and empty arguments survive") {
  RedisServer redis;
  Harness h(redis.url());
  h.client.start();
  REQUIRE(run_until(h.io, [&] { return h.client.ready(); }));
  const std::string binary("a\r\n$3\r\n\0b", 10);
  auto resp = std::make_shared<std::string>();
  append_resp_array(*resp, 4);
  append_resp_bulk(*resp, "RPUSH");
  append_resp_bulk(*resp, "list");
  append_resp_bulk(*resp, binary);
  append_resp_bulk(*resp, "");
  CHECK(*resp ==
        std::string("*4\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$10\r\n") + binary + "\r\n$0\r\n\r\n");

  std::optional<Result<RedisReply>> pushed;
  h.client.command_formatted(resp, [&](Result<RedisReply> r) { pushed = std::move(r); });
  REQUIRE(run_until(h.io, [&] { return pushed.has_value(); }));
  REQUIRE(pushed->has_value());
  CHECK((*pushed)->integer == 2);
  auto items = call(h.io, h.client, {"LRANGE", "list", "0", "-1"});
  REQUIRE(items.has_value());
  REQUIRE(items->elements.size() == 2);
  CHECK(items->elements[0].str == binary);
  CHECK(items->elements[1].str.empty());
}
