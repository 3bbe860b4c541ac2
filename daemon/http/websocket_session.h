// The server side of an upgraded WebSocket connection, internal to server.cc: the channel
// a handler holds and the loops that serve the socket. Beast's websocket headers stay in the .cc.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>

#include "daemon/http/websocket_channel.h"

namespace omniroute {
class Logger;
}  // namespace omniroute

namespace omniroute::daemon {

namespace detail {

// One upgraded (or about to be upgraded) connection. Created before the upgrade handler runs so
// that the handler gets its channel at once; serve() then owns the socket until it closes.
class WebSocketPeer {
 public:
  virtual ~WebSocketPeer() = default;

  static std::shared_ptr<WebSocketPeer> create(boost::asio::any_io_executor strand,
                                               const WebSocketLimits& limits,
                                               std::chrono::milliseconds handshake_timeout,
                                               Logger& logger);

  // What the upgrade handler is given. Stays valid (and inert) after the socket is gone.
  virtual std::shared_ptr<WebSocketChannel> channel() = 0;

  // Completes the handshake for `request` and serves the socket until it is closed, then calls
  // callbacks.on_close once. Runs on the connection's strand.
  virtual boost::asio::awaitable<void> serve(
      boost::beast::tcp_stream stream,
      boost::beast::http::request<boost::beast::http::string_body> request,
      WebSocketCallbacks callbacks) = 0;

  // The upgrade was refused or the connection is gone: the channel drops everything from now
  // on and lets go of the executor (the handler may hold it beyond the io_context's life).
  virtual void abandon() = 0;
};

// True for a GET that asks to switch to the WebSocket protocol.
bool is_websocket_upgrade(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace detail
}  // namespace omniroute::daemon
