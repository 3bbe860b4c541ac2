// Specification of WebSocket upgrades in the daemon's HTTP server, against a real Beast
// WebSocket client over loopback: accept or refuse, messages both ways and in order, closes
// from either side, drain, and the size and queue limits.
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/http/server.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

HttpServerOptions test_options() {
  HttpServerOptions options;
  options.threads = 2;
  options.read_timeout = 5s;
  return options;
}

// What the server side of the sockets saw, and the channels it was given.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> texts;
  std::vector<std::shared_ptr<WebSocketChannel>> channels;
  std::atomic<int> closes{0};
  std::promise<void> closed;
  std::promise<std::shared_ptr<WebSocketChannel>> accepted;

  std::vector<std::string> texts_now() {
    std::lock_guard lock(mutex);
    return texts;
  }
};

// A started server whose HTTP handler answers 200 "plain" and whose upgrade handler is given.
struct TestServer {
  explicit TestServer(WebSocketUpgradeHandler upgrade, HttpServerOptions options = test_options()) {
    server = std::make_unique<HttpServer>(
        options,
        [](HttpRequest&&, Responder respond) {
          HttpResponse response;
          response.body = "plain";
          respond(std::move(response));
        },
        logger, metrics);
    if (upgrade) server->set_websocket_handler(std::move(upgrade));
    server->start();
  }
  std::uint16_t port() const { return server->port(); }

  Logger logger{LogLevel::error};
  Metrics metrics;
  std::unique_ptr<HttpServer> server;
};

// Accepts every upgrade: records texts, echoes them back as "echo:<text>", greets on accept.
WebSocketUpgradeHandler echo_handler(Seen& seen) {
  return [&seen](const HttpRequest&, std::shared_ptr<WebSocketChannel> channel)
             -> std::variant<HttpResponse, WebSocketCallbacks> {
    channel->send_text("hello");
    {
      std::lock_guard lock(seen.mutex);
      seen.channels.push_back(channel);
    }
    seen.accepted.set_value(channel);
    WebSocketCallbacks callbacks;
    std::weak_ptr<WebSocketChannel> weak = channel;
    callbacks.on_text = [&seen, weak](const std::string& text) {
      {
        std::lock_guard lock(seen.mutex);
        seen.texts.push_back(text);
      }
      if (auto c = weak.lock()) c->send_text("echo:" + text);
    };
    callbacks.on_close = [&seen] {
      if (seen.closes.fetch_add(1) == 0) seen.closed.set_value();
    };
    return callbacks;
  };
}

// A blocking Beast WebSocket client.
struct Client {
  explicit Client(std::uint16_t port) : ws(io) {
    tcp::resolver resolver(io);
    asio::connect(beast::get_lowest_layer(ws), resolver.resolve("127.0.0.1", std::to_string(port)));
  }
  // Throws beast::system_error on a refused handshake; `response` holds the server's answer.
  void handshake(const std::string& target = "/ws") { ws.handshake(response, "127.0.0.1", target); }
  std::string read() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }
  // Reads until the server closes; returns the error that ended it (closed for a clean close).
  beast::error_code read_until_closed() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      ws.read(buffer, ec);
      buffer.consume(buffer.size());
    }
    return ec;
  }
  void write(const std::string& text) { ws.write(asio::buffer(text)); }

  asio::io_context io;
  websocket::stream<tcp::socket> ws;
  websocket::response_type response;
};

bool became_ready(std::future<void>& future) {
  return future.wait_for(10s) == std::future_status::ready;
}

}  // namespace

TEST_CASE("an accepted upgrade exchanges messages in both directions") {
  Seen seen;
  TestServer t(echo_handler(seen));
  Client client(t.port());
  client.handshake();
  CHECK(client.response.result() == beast::http::status::switching_protocols);
  CHECK(client.response[beast::http::field::server] == "omniroute");
  CHECK(client.read() == "hello");  // sent by the handler before the handshake completed
  client.write("one");
  CHECK(client.read() == "echo:one");
  client.write("two");
  CHECK(client.read() == "echo:two");
  CHECK(seen.texts_now() == std::vector<std::string>{"one", "two"});
  CHECK(t.server->connections() == 1);
  CHECK(t.metrics.gauge("omniroute_http_websockets", "").value() == 1);
}

TEST_CASE("an upgrade handler's response refuses the upgrade, e.g. with 401") {
  std::atomic<bool> saw_query{false};
  std::shared_ptr<WebSocketChannel> kept;
  TestServer t([&](const HttpRequest& request, std::shared_ptr<WebSocketChannel> channel)
                   -> std::variant<HttpResponse, WebSocketCallbacks> {
    kept = channel;
    saw_query = request.query == "token=bad";
    return json_error(401, "unauthorized", "bad token");
  });
  Client client(t.port());
  beast::error_code ec;
  client.ws.handshake(client.response, "127.0.0.1", "/ws?token=bad", ec);
  CHECK(ec);
  CHECK(client.response.result() == beast::http::status::unauthorized);
  CHECK(client.response.body() == R"({"error":"unauthorized","message":"bad token"})");
  CHECK(saw_query);
  kept->send_text("ignored");  // a refused channel is inert
  kept->close(1000, "ignored");
}

TEST_CASE("without an upgrade handler an upgrade request is an ordinary request") {
  TestServer t(nullptr);
  Client client(t.port());
  beast::error_code ec;
  client.ws.handshake(client.response, "127.0.0.1", "/ws", ec);
  CHECK(ec);
  CHECK(client.response.result() == beast::http::status::ok);
  CHECK(client.response.body() == "plain");
}

TEST_CASE("messages sent from another thread arrive in order") {
  Seen seen;
  TestServer t(echo_handler(seen));
  Client client(t.port());
  client.handshake();
  auto channel = seen.accepted.get_future().get();
  CHECK(client.read() == "hello");
  constexpr int kCount = 2000;
  std::thread sender([&] {
    for (int i = 0; i < kCount; ++i) channel->send_text("m" + std::to_string(i));
  });
  for (int i = 0; i < kCount; ++i) REQUIRE(client.read() == "m" + std::to_string(i));
  sender.join();
}

TEST_CASE("a close from the server reaches the peer with its code and reason") {
  Seen seen;
  TestServer t(echo_handler(seen));
  Client client(t.port());
  client.handshake();
  auto channel = seen.accepted.get_future().get();
  channel->send_text("last words");
  channel->close(4001, "bye");
  channel->send_text("after close");  // ignored
  CHECK(client.read() == "hello");
  CHECK(client.read() == "last words");
  CHECK(client.read_until_closed() == websocket::error::closed);
  CHECK(client.ws.reason().code == 4001);
  CHECK(client.ws.reason().reason == "bye");
  auto closed = seen.closed.get_future();
  REQUIRE(became_ready(closed));
  CHECK(t.server->wait_drained(10s));  // the connection is gone too
  CHECK(seen.closes == 1);
}

TEST_CASE("a close from the peer calls on_close once and frees the connection") {
  Seen seen;
  TestServer t(echo_handler(seen));
  Client client(t.port());
  client.handshake();
  CHECK(client.read() == "hello");
  client.ws.close(websocket::close_code::normal);
  auto closed = seen.closed.get_future();
  REQUIRE(became_ready(closed));
  CHECK(t.server->wait_drained(10s));
  CHECK(t.server->connections() == 0);
  CHECK(t.metrics.gauge("omniroute_http_websockets", "").value() == 0);
  seen.channels.at(0)->send_text("too late");  // ignored, and harmless
  CHECK(seen.closes == 1);
}

TEST_CASE("draining closes WebSockets with 1001 and waits for them") {
  Seen seen;
  TestServer t(echo_handler(seen));
  Client client(t.port());
  client.handshake();
  CHECK(client.read() == "hello");
  CHECK(t.server->connections() == 1);
  t.server->begin_drain();
  CHECK(client.read_until_closed() == websocket::error::closed);
  CHECK(client.ws.reason().code == websocket::close_code::going_away);
  CHECK(t.server->wait_drained(10s));
  CHECK(seen.closes == 1);
}

TEST_CASE("an incoming message over max_message_bytes closes the socket with 1009") {
  Seen seen;
  auto options = test_options();
  options.websocket.max_message_bytes = 1024;
  TestServer t(echo_handler(seen), options);
  Client client(t.port());
  client.handshake();
  CHECK(client.read() == "hello");
  client.write(std::string(1024, 'a'));  // at the limit: fine
  CHECK(client.read() == "echo:" + std::string(1024, 'a'));
  client.write(std::string(1025, 'b'));
  CHECK(client.read_until_closed() == websocket::error::closed);
  CHECK(client.ws.reason().code == websocket::close_code::too_big);
  auto closed = seen.closed.get_future();
  REQUIRE(became_ready(closed));
  CHECK(seen.texts_now().size() == 1);
}

TEST_CASE("a peer that does not read is disconnected once too much is queued for it") {
  Seen seen;
  auto options = test_options();
  options.websocket.max_queued_bytes = 64 * 1024;
  TestServer t(echo_handler(seen), options);
  Client client(t.port());
  client.handshake();
  auto channel = seen.accepted.get_future().get();
  auto closed = seen.closed.get_future();
  // The client reads nothing, so the socket buffers fill and the queue grows past the cap.
  const std::string chunk(16 * 1024, 'x');
  for (int i = 0; i < 100'000 && closed.wait_for(0s) != std::future_status::ready; ++i) {
    channel->send_text(chunk);
  }
  REQUIRE(became_ready(closed));
  CHECK(t.server->wait_drained(10s));
  CHECK(seen.closes == 1);
}
