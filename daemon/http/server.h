// The daemon's HTTP/1.1 server: one coroutine per connection, threads each running their own
// io_context, limits and timeouts on every read, graceful drain on shutdown,
// and WebSocket upgrades handed to a WebSocketUpgradeHandler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/http/types.h"
#include "daemon/http/websocket_channel.h"

namespace boost::asio {
class io_context;
}

namespace omniroute {
class Logger;
class Metrics;
}  // namespace omniroute

namespace omniroute::daemon {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see HttpServer::port()
  // Threads, each with its own io_context; connections are spread over them round-robin.
  std::size_t threads = 2;
  std::size_t max_body_bytes = 1024 * 1024;
  // Bytes of request bodies held at once over all connections: a request whose body would take
  // the total past this is answered 503 with Retry-After before its body is read (a chunked
  // body counts chunk by chunk as it arrives). Bounds what max_connections x max_body_bytes
  // could otherwise hold.
  std::size_t max_in_flight_body_bytes = 256 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // The whole request, headers and body, must arrive within this (slowloris defence).
  std::chrono::milliseconds read_timeout{10'000};
  // How long a keep-alive connection may sit between requests (and before its first one).
  std::chrono::milliseconds idle_timeout{60'000};
  // How long a client may take to read our response.
  std::chrono::milliseconds write_timeout{30'000};
  // Connections beyond this are accepted and closed at once.
  std::size_t max_connections = 10'000;
  std::chrono::milliseconds drain_timeout{10'000};
  // Bounds for upgraded WebSocket connections; their handshakes (opening and closing) must
  // complete within read_timeout.
  WebSocketLimits websocket;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, Logger& logger, Metrics& metrics);
  ~HttpServer();  // stop()s if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Requests that ask to upgrade to WebSocket go to `handler` instead of the HTTP handler.
  // Without one they are ordinary requests. Call before start().
  void set_websocket_handler(WebSocketUpgradeHandler handler);

  // Binds and listens, then starts the threads. Throws std::runtime_error if it cannot bind.
  void start();
  // The bound port; meaningful after start().
  std::uint16_t port() const;
  // The first thread's io_context, for the daemon's own timers and signal handling. Run by
  // one thread: work posted to it is serialized.
  boost::asio::io_context& context();
  // Every thread's io_context (context() first), each run by exactly one thread. A
  // RedisClient made on these keeps a connection per thread, so a handler's Redis command is
  // sent and answered on the handler's own thread.
  std::vector<boost::asio::io_context*> contexts();

  // Stops accepting, closes idle keep-alive connections, makes in-flight requests answer
  // with "Connection: close", and closes WebSockets with 1001 (going away). From a non-pool thread
  // the listening socket is closed on return.
  void begin_drain();
  // Blocks until no connection is left or the timeout passes; true if drained. Not from a pool
  // thread.
  bool wait_drained(std::chrono::milliseconds timeout);
  bool wait_drained();  // with options.drain_timeout
  // Stops the io_context and joins the threads; remaining connections are dropped. Idempotent;
  // not from a pool thread.
  void stop();

  std::size_t connections() const;  // open client connections now, WebSockets included
  // Bytes reserved for request bodies now, over all connections (see max_in_flight_body_bytes).
  std::size_t in_flight_body_bytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute::daemon
