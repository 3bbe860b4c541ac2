// WebSocket support as the API sees it: free of Asio and Beast, like types.h. The server
// upgrades a request that asks for it when the upgrade handler accepts; the handler then talks
// to the peer through a WebSocketChannel.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "daemon/http/types.h"

namespace omniroute::daemon {

// Per-socket bounds, set in HttpServerOptions::websocket.
struct WebSocketLimits {
  // An incoming message larger than this closes the socket with 1009 (message too big).
  std::size_t max_message_bytes = 64 * 1024;
  // Outgoing bytes queued but not yet written; a peer that lets more pile up is disconnected.
  std::size_t max_queued_bytes = 1024 * 1024;
  // A peer silent this long is pinged; one silent for twice this long is disconnected, so dead
  // peers (pulled cables, sleeping laptops) do not hold sockets forever.
  std::chrono::milliseconds ping_interval{20'000};
};

// One open WebSocket. Thread-safe: send from any thread; messages go out in call order.
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  // Queues a text message. Ignored once the socket is closing or closed. A peer that does not
  // read (over WebSocketLimits::max_queued_bytes queued) is disconnected: we never buffer
  // unboundedly. Messages sent before the handshake completes go out right after it.
  virtual void send_text(std::string message) = 0;
  // Sends a close frame with `code` (1000 normal, 4000-4999 application) and `reason` (at most
  // 123 bytes are sent) after the messages already queued. Later calls are ignored.
  virtual void close(int code, std::string reason) = 0;
};

// What the handler wants told about an accepted socket. Both are called on the socket's strand,
// never concurrently; on_close exactly once (peer closed, error, server drain or close(), or a
// failed handshake). Binary messages are ignored.
struct WebSocketCallbacks {
  std::function<void(const std::string& text)> on_text;  // may be empty: incoming text ignored
  std::function<void()> on_close;
};

// Called (on the connection's strand; must not block) for a request that asks to upgrade
// (GET with "Upgrade: websocket"). Return an HttpResponse to refuse with it (e.g. 401, 404), or
// callbacks to accept: the server completes the handshake and `channel` is live from then on.
// Keep the channel to send; drop it when on_close runs.
using WebSocketUpgradeHandler = std::function<std::variant<HttpResponse, WebSocketCallbacks>(
    const HttpRequest& request, std::shared_ptr<WebSocketChannel> channel)>;

}  // namespace omniroute::daemon
