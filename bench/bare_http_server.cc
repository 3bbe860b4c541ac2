// The HTTP ceiling for benchmarks: a minimal Beast server answering 200 "ok" to everything, as
// Beast's examples write one (N threads over one io_context, one coroutine per connection on
// its own strand, Beast's parser and serializer), with no handler indirection, limits
// bookkeeping or drain.
//
// With --redis-url it is issue 2's comparator as the issue words it, "a minimal Beast server
// that only does a pipelined XADD per request": each request's body is XADDed through
// omniroute's RedisClient (its connections pipeline the commands of all sessions) and the
// answer, the same empty TwiML omniroute sends, waits for Redis.
//
// usage: bare_http_server [--port N] [--threads N] [--redis-url URL]; SIGTERM/SIGINT stop it.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/redis/client.h"
#include "daemon/redis/url.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using omniroute::daemon::RedisClient;

// XADDs `body` and completes once Redis answered (an error code if it failed).
template <class Token>
auto async_xadd(RedisClient& redis, std::string body, Token&& token) {
  return asio::async_initiate<Token, void(beast::error_code)>(
      [&redis](auto handler, std::string payload) {
        // RedisClient wants a copyable callback; the coroutine's handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        redis.command(
            {"XADD", "bench:beast:inbound", "MAXLEN", "~", "1000000", "*", "e", std::move(payload)},
            [shared](omniroute::Result<omniroute::daemon::RedisReply> reply) {
              const bool ok = reply && !reply->is_error();
              auto executor = asio::get_associated_executor(*shared);
              asio::dispatch(executor, [shared, ok] {
                (*shared)(ok ? beast::error_code() : asio::error::connection_refused);
              });
            });
      },
      token, std::move(body));
}

asio::awaitable<void> session(beast::tcp_stream stream, RedisClient* redis) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) break;
    auto& request = parser.get();
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "bare");
    response.set(http::field::content_type, "text/plain");
    response.body() = "ok";
    if (redis != nullptr) {
      auto [xec] = co_await async_xadd(*redis, std::move(request.body()), use_tuple);
      response.result(xec ? http::status::service_unavailable : http::status::ok);
      response.set(http::field::content_type, "text/xml");
      response.body() = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, response, use_tuple);
    if (wec || !response.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor,
                                  RedisClient* redis) {
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc));
    auto [ec] = co_await acceptor.async_accept(socket, use_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(beast::tcp_stream(std::move(socket)), redis), asio::detached);
  }
}

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "bare_http_server: " << message << "\nusage: bare_http_server [--port N] "
            << "[--threads N] [--redis-url URL]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  std::size_t threads = 2;
  std::string redis_url;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    if (flag == "--port") {
      port = static_cast<unsigned short>(std::stoul(argv[i + 1]));
    } else if (flag == "--threads") {
      threads = std::max<std::size_t>(std::stoul(argv[i + 1]), 1);
    } else if (flag == "--redis-url") {
      redis_url = argv[i + 1];
    } else {
      usage("unknown flag " + flag);
    }
  }

  asio::io_context ioc(static_cast<int>(threads));
  omniroute::Logger logger(omniroute::LogLevel::warn);
  omniroute::Metrics metrics;
  std::unique_ptr<RedisClient> redis;
  if (!redis_url.empty()) {
    auto endpoint = omniroute::daemon::parse_redis_url(redis_url);
    if (!endpoint) usage("bad --redis-url: " + endpoint.error().message);
    omniroute::daemon::RedisClientOptions options;
    options.endpoint = *endpoint;
    options.connections = threads;
    redis = std::make_unique<RedisClient>(ioc, options, logger, metrics);
    redis->start();
  }
  tcp::acceptor acceptor(asio::make_strand(ioc), {asio::ip::make_address("127.0.0.1"), port});
  asio::co_spawn(acceptor.get_executor(), accept_loop(ioc, acceptor, redis.get()), asio::detached);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
  // Redis must be up before the benchmark starts: wait for the handshake (five seconds).
  for (int i = 0; i < 500 && redis && !redis->ready(); ++i)
    ioc.run_for(std::chrono::milliseconds(10));
  if (redis && !redis->ready()) usage("Redis at " + redis_url + " is not ready");
  std::cerr << "{\"msg\":\"listening\",\"port\":" << acceptor.local_endpoint().port() << "}"
            << std::endl;

  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& thread : pool) thread.join();
  return 0;
}
