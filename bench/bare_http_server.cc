// The HTTP ceiling for benchmarks: a minimal Beast server answering 200 "ok" to everything,
// with daemon/http_server.cc's threading model (N threads over one io_context, one coroutine per
// connection on its own strand) but no handler indirection, limits bookkeeping or drain.
//
// usage: bare_http_server [--port N] [--threads N]; SIGTERM/SIGINT stop it.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> session(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) break;
    const auto& request = parser.get();
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "bare");
    response.set(http::field::content_type, "text/plain");
    response.body() = "ok";
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, response, use_tuple);
    if (wec || !response.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc));
    auto [ec] = co_await acceptor.async_accept(socket, use_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(beast::tcp_stream(std::move(socket))), asio::detached);
  }
}

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "bare_http_server: " << message << "\nusage: bare_http_server [--port N] "
            << "[--threads N]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  std::size_t threads = 2;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    if (flag == "--port") {
      port = static_cast<unsigned short>(std::stoul(argv[i + 1]));
    } else if (flag == "--threads") {
      threads = std::max<std::size_t>(std::stoul(argv[i + 1]), 1);
    } else {
      usage("unknown flag " + flag);
    }
  }

  asio::io_context ioc(static_cast<int>(threads));
  tcp::acceptor acceptor(asio::make_strand(ioc), {asio::ip::make_address("127.0.0.1"), port});
  asio::co_spawn(acceptor.get_executor(), accept_loop(ioc, acceptor), asio::detached);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
  std::cerr << "{\"msg\":\"listening\",\"port\":" << acceptor.local_endpoint().port() << "}"
            << std::endl;

  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& thread : pool) thread.join();
  return 0;
}
