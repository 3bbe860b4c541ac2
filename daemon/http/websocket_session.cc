// The server side of an upgraded WebSocket (see websocket_session.h). The connection's coroutine
// completes the handshake and runs the read loop; a writer coroutine on the same strand drains
// the channel's queue, so writes never overlap and go out in call order. Shaped like Beast's
// example/websocket/server/chat-multi, with a bounded queue instead of an unbounded one.
#include "daemon/http/websocket_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

#include "common/log.h"
#include "common/utf8.h"

namespace omniroute::daemon::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using WsStream = websocket::stream<beast::tcp_stream>;

// Codes a server may put on the wire (RFC 6455 7.4, IANA registry); 1005/1006/1015 may not.
bool valid_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// A close frame's reason fits in 123 bytes; cut on a UTF-8 boundary so the peer can decode it.
std::string close_reason_text(const std::string& reason) {
  return std::string(utf8_prefix(reason, 123));
}

// Runs a handler callback; an exception there must not take the socket's loop down with it.
template <class F>
void guarded(Logger& logger, const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    logger.error(what, {{"what", e.what()}});
  }
}

class Peer final : public WebSocketPeer,
                   public WebSocketChannel,
                   public std::enable_shared_from_this<Peer> {
 public:
  Peer(asio::any_io_executor strand, const WebSocketLimits& limits,
       std::chrono::milliseconds handshake_timeout, Logger& logger)
      : strand_(std::move(strand)),
        limits_(limits),
        handshake_timeout_(handshake_timeout),
        logger_(logger) {}

  std::shared_ptr<WebSocketChannel> channel() override { return shared_from_this(); }

  // Also reached from the connection's destructor: a handler may keep the channel after the
  // server (and its io_context) is gone, so the channel lets go of the executor here.
  void abandon() override {
    std::lock_guard lock(mutex_);
    finished_ = true;
    queue_.clear();
    strand_ = {};
  }

  void send_text(std::string message) override {
    std::lock_guard lock(mutex_);
    if (finished_ || close_request_ || overflow_) return;
    queued_bytes_ += message.size();
    if (queued_bytes_ > limits_.max_queued_bytes) {
      // The peer does not read. Its socket is closed outright: a close frame could not get
      // past the data already stuck in front of it.
      overflow_ = true;
      queue_.clear();
      logger_.warn("websocket peer does not read; disconnecting it",
                   {{"queued_bytes", static_cast<std::int64_t>(queued_bytes_)}});
      post_wake_locked();
      return;
    }
    queue_.push_back(std::move(message));
    if (waiter_) post_wake_locked();
  }

  void close(int code, std::string reason) override {
    std::lock_guard lock(mutex_);
    if (finished_ || close_request_ || overflow_) return;
    if (!valid_close_code(code)) {
      logger_.error("websocket close with an invalid code; sending 1011", {{"code", code}});
      code = 1011;
    }
    std::string text = close_reason_text(std::move(reason));
    close_request_.emplace(static_cast<websocket::close_code>(code), beast::string_view(text));
    if (waiter_) post_wake_locked();
  }

  asio::awaitable<void> serve(beast::tcp_stream stream, http::request<http::string_body> request,
                              WebSocketCallbacks callbacks) override;

 private:
  struct Next {
    enum Kind { write, close, wait, stop } kind;
    std::string message;
    websocket::close_reason reason;
  };

  void configure() {
    beast::get_lowest_layer(*ws_).expires_never();  // the websocket keeps its own deadlines
    // With keep_alive_pings, Beast pings a peer silent for half idle_timeout and drops it after
    // the whole; the handshake timeout also bounds the closing handshake.
    websocket::stream_base::timeout timeout{handshake_timeout_, limits_.ping_interval * 2, true};
    ws_->set_option(timeout);
    ws_->set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(http::field::server, "omniroute");
    }));
    ws_->read_message_max(limits_.max_message_bytes);
    ws_->text(true);
  }

  asio::awaitable<void> read_loop(const WebSocketCallbacks& callbacks) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_->async_read(buffer, use_tuple);
      if (ec) {
        logger_.debug("websocket read ended", {{"error", ec.message()}});
        co_return;
      }
      if (ws_->got_text() && callbacks.on_text) {
        std::string text = beast::buffers_to_string(buffer.data());
        guarded(logger_, "websocket on_text threw", [&] { callbacks.on_text(text); });
      }
      buffer.consume(buffer.size());
    }
  }

  // `self` keeps the peer alive until the frame is gone, even if it is destroyed unfinished.
  asio::awaitable<void> write_loop([[maybe_unused]] std::shared_ptr<Peer> self) {
    asio::steady_timer waiter(strand_, asio::steady_timer::time_point::max());
    struct Done {
      Peer& peer;
      ~Done() { peer.writer_finished(); }
    } done{*this};
    for (;;) {
      Next next = take_next(waiter);
      switch (next.kind) {
        case Next::stop:
          co_return;
        case Next::wait: {
          struct Disarm {
            Peer& peer;
            ~Disarm() { peer.disarm(); }  // before `waiter` dies, even if the frame is destroyed
          } disarm{*this};
          co_await waiter.async_wait(use_tuple);
          break;
        }
        case Next::close: {
          closing_ = true;
          auto [ec] = co_await ws_->async_close(next.reason, use_tuple);
          if (ec) logger_.debug("websocket close failed", {{"error", ec.message()}});
          co_return;
        }
        case Next::write: {
          auto [ec, n] = co_await ws_->async_write(asio::buffer(next.message), use_tuple);
          std::lock_guard lock(mutex_);
          queued_bytes_ -= next.message.size();
          if (ec) co_return;
          break;
        }
      }
    }
  }

  // What the writer does next; arms `waiter` when there is nothing to do.
  Next take_next(asio::steady_timer& waiter) {
    std::lock_guard lock(mutex_);
    if (finished_ || overflow_) return {Next::stop, {}, {}};
    if (!queue_.empty()) {
      Next next{Next::write, std::move(queue_.front()), {}};
      queue_.pop_front();  // its bytes stay counted until written
      return next;
    }
    if (close_request_) return {Next::close, {}, *close_request_};
    waiter_ = &waiter;
    return {Next::wait, {}, {}};
  }

  void disarm() {
    std::lock_guard lock(mutex_);
    waiter_ = nullptr;
  }

  // From any thread: run wake() on the strand once the writer is running.
  void post_wake_locked() {
    if (!writer_started_ || finished_ || wake_posted_) return;
    wake_posted_ = true;
    asio::post(strand_, [self = shared_from_this()] { self->wake(); });
  }

  void wake() {  // on the strand
    std::lock_guard lock(mutex_);
    wake_posted_ = false;
    if (overflow_ && ws_) beast::get_lowest_layer(*ws_).close();  // fails the pending ops
    if (waiter_) waiter_->cancel();
  }

  void writer_finished() {  // on the strand
    writer_running_ = false;
    if (writer_done_) writer_done_->cancel();
  }

  // The read loop ended: stop the writer (a graceful close it runs finishes by itself, bounded
  // by the handshake timeout; a write stuck on a dead peer is cut) and wait for it to end.
  asio::awaitable<void> stop_writer() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      queue_.clear();
      if (waiter_) waiter_->cancel();
    }
    if (!writer_running_) co_return;
    if (!closing_) beast::get_lowest_layer(*ws_).close();
    asio::steady_timer done(strand_, asio::steady_timer::time_point::max());
    writer_done_ = &done;
    struct Clear {
      Peer& peer;
      ~Clear() { peer.writer_done_ = nullptr; }
    } clear{*this};
    while (writer_running_) co_await done.async_wait(use_tuple);
  }

  // Runs when serve() ends or its frame is destroyed: the channel goes inert, the socket closes,
  // and the handler hears on_close, exactly once either way.
  struct Finish {
    Peer& peer;
    const WebSocketCallbacks& callbacks;
    ~Finish() {
      peer.abandon();
      peer.ws_.reset();
      if (callbacks.on_close) guarded(peer.logger_, "websocket on_close threw", callbacks.on_close);
    }
  };

  asio::any_io_executor strand_;  // emptied (under the mutex) once the socket is done
  const WebSocketLimits limits_;
  const std::chrono::milliseconds handshake_timeout_;
  Logger& logger_;

  // Shared with the handler's threads.
  std::mutex mutex_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;  // queued plus being written
  std::optional<websocket::close_reason> close_request_;
  bool overflow_ = false;
  bool finished_ = false;        // refused or closed: the channel ignores everything
  bool writer_started_ = false;  // wakes are posted only to a running writer
  bool wake_posted_ = false;
  asio::steady_timer* waiter_ = nullptr;  // the idle writer's timer

  // Only on the strand.
  std::optional<WsStream> ws_;
  bool writer_running_ = false;
  bool closing_ = false;  // the writer runs the closing handshake
  asio::steady_timer* writer_done_ = nullptr;
};

asio::awaitable<void> Peer::serve(beast::tcp_stream stream,
                                  http::request<http::string_body> request,
                                  WebSocketCallbacks callbacks) {
  auto self = shared_from_this();
  Finish finish{*this, callbacks};
  ws_.emplace(std::move(stream));
  configure();
  auto [ec] = co_await ws_->async_accept(request, use_tuple);
  if (ec) {
    logger_.debug("websocket handshake failed", {{"error", ec.message()}});
    co_return;
  }
  {
    std::lock_guard lock(mutex_);
    if (finished_) co_return;
    writer_started_ = true;
    if (overflow_) beast::get_lowest_layer(*ws_).close();
  }
  writer_running_ = true;
  asio::co_spawn(strand_, write_loop(self), [self](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& what) {
      self->logger_.error("websocket writer failed", {{"what", what.what()}});
    }
  });
  co_await read_loop(callbacks);
  co_await stop_writer();
}

}  // namespace

std::shared_ptr<WebSocketPeer> WebSocketPeer::create(asio::any_io_executor strand,
                                                     const WebSocketLimits& limits,
                                                     std::chrono::milliseconds handshake_timeout,
                                                     Logger& logger) {
  return std::make_shared<Peer>(std::move(strand), limits, handshake_timeout, logger);
}

bool is_websocket_upgrade(const http::request<http::string_body>& request) {
  return websocket::is_upgrade(request);
}

}  // namespace omniroute::daemon::detail
