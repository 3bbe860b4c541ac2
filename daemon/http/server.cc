// The HTTP/1.1 server behind server.h. Beast and Asio live only in this file: one awaitable
// session per connection on its own strand, shaped like Beast's advanced/server-flex-awaitable.
#include "daemon/http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "common/metrics.h"
#include "daemon/http/websocket_session.h"

namespace omniroute::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

HttpResponse json_error(int status, std::string_view code, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = "{\"error\":";
  append_json_string(response.body, code);
  response.body += ",\"message\":";
  append_json_string(response.body, message);
  response.body += "}";
  return response;
}

namespace {

// After an error answer the client may still be sending; reading (and dropping) what it sends
// for a short while before closing avoids a TCP reset that would destroy our answer in flight.
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
constexpr std::chrono::milliseconds kMaxLinger{2000};

// A memory-budget refusal answers this many seconds as Retry-After: bodies in flight are
// answered within milliseconds, so the budget frees up quickly.
constexpr const char* kMemoryBudgetRetryAfter = "1";

std::string to_std(beast::string_view s) {
  return std::string(s.data(), s.size());
}

// What read_request() returns when a body would not fit the in-flight budget. The generic
// category keeps it apart from every socket error (those are in the system category).
beast::error_code over_budget() {
  return boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
}

// Request bodies held over all connections, against max_in_flight_body_bytes: one atomic that
// every I/O thread shares, mirrored in a gauge for /metrics.
class BodyBudget {
 public:
  BodyBudget(std::size_t limit, Gauge& gauge) : limit_(limit), gauge_(gauge) {}

  // Takes `bytes` if they fit under the limit, all or nothing.
  bool try_take(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;  // used never exceeds limit_
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    gauge_.add(static_cast<std::int64_t>(bytes));
    return true;
  }
  void give_back(std::size_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    gauge_.add(-static_cast<std::int64_t>(bytes));
  }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  Gauge& gauge_;
};

// One request's share of the BodyBudget. Its destructor gives the share back, so no way out of
// a request (answered, refused, peer gone, session destroyed with the server) keeps bytes.
class BodyReservation {
 public:
  explicit BodyReservation(BodyBudget& budget) : budget_(budget) {}
  ~BodyReservation() { release(); }
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;

  bool grow(std::size_t bytes) {
    if (!budget_.try_take(bytes)) return false;
    bytes_ += bytes;
    return true;
  }
  void release() {
    if (bytes_ > 0) budget_.give_back(bytes_);
    bytes_ = 0;
  }

 private:
  BodyBudget& budget_;
  std::size_t bytes_ = 0;
};

// Where a handler's answer meets the session waiting for it. The session arms `waiter_` while it
// waits; the responder stores the answer and, if armed, wakes the session on its strand. The
// mutex also keeps the session from vanishing between "armed?" and the post.
class ReplySlot : public std::enable_shared_from_this<ReplySlot> {
 public:
  explicit ReplySlot(asio::any_io_executor strand) : strand_(std::move(strand)) {}

  // Returns false if an answer was already stored (the responder was called twice).
  bool complete(HttpResponse response) {
    std::lock_guard lock(mutex_);
    if (response_) return false;
    response_ = std::move(response);
    if (waiter_) asio::post(strand_, [self = shared_from_this()] { self->wake(); });
    return true;
  }
  bool answered() {
    std::lock_guard lock(mutex_);
    return response_.has_value();  // stays engaged after take(): complete() relies on it too
  }
  // Returns false (and stays unarmed) if the answer is already here.
  bool arm(asio::steady_timer* waiter) {
    std::lock_guard lock(mutex_);
    if (response_) return false;
    waiter_ = waiter;
    return true;
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    waiter_ = nullptr;
  }
  std::optional<HttpResponse> take() {
    std::lock_guard lock(mutex_);
    return std::move(response_);
  }

 private:
  void wake() {  // on the session's strand
    std::lock_guard lock(mutex_);
    if (waiter_) waiter_->cancel();
  }

  asio::any_io_executor strand_;
  std::mutex mutex_;
  std::optional<HttpResponse> response_;
  asio::steady_timer* waiter_ = nullptr;
};

// Shared by every copy of one Responder; its destructor answers 500 if nobody answered.
struct ResponderState {
  ResponderState(std::shared_ptr<ReplySlot> s, Logger& l) : slot(std::move(s)), logger(&l) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;
  ~ResponderState() {
    // Nobody can answer any more (this was the last copy): build the 500 only if it is needed.
    if (slot->answered()) return;
    if (slot->complete(json_error(500, "internal", "the request handler did not answer"))) {
      logger->error("http handler dropped its responder without answering");
    }
  }
  std::shared_ptr<ReplySlot> slot;
  Logger* logger;
};

Responder make_responder(std::shared_ptr<ReplySlot> slot, Logger& logger) {
  auto state = std::make_shared<ResponderState>(std::move(slot), logger);
  return [state](HttpResponse response) {
    if (!state->slot->complete(std::move(response))) {
      state->logger->warn("http responder called more than once; the extra answer is ignored");
    }
  };
}

class Session;

// State every session shares. The mutex guards only the registry of live sessions.
struct ServerCore {
  ServerCore(HttpServerOptions o, HttpHandler h, Logger& l, Metrics& m)
      : options(std::move(o)),
        handler(std::move(h)),
        logger(l),
        rejection_log(SystemClock::instance(),
                      {.suppressed_counter = &log_suppressed_counter(m, "http_rejected")}),
        connections_gauge(m.gauge("omniroute_http_connections", "Open HTTP client connections")),
        websockets_gauge(m.gauge("omniroute_http_websockets",
                                 "Open WebSocket connections (also counted as HTTP connections)")),
        rejected_too_large(rejected(m, "too_large")),
        rejected_header_too_large(rejected(m, "header_too_large")),
        rejected_malformed(rejected(m, "malformed")),
        rejected_timeout(rejected(m, "timeout")),
        rejected_over_capacity(rejected(m, "over_capacity")),
        rejected_memory_budget(rejected(m, "memory_budget")),
        body_budget(options.max_in_flight_body_bytes,
                    m.gauge("omniroute_http_in_flight_body_bytes",
                            "Bytes reserved for request bodies now, over all connections")) {}

  static Counter& rejected(Metrics& m, const char* reason) {
    return m.counter("omniroute_http_rejected_total",
                     "HTTP connections or requests refused before reaching a handler, by reason",
                     {{"reason", reason}});
  }

  void add(std::uint64_t id, std::weak_ptr<Session> session) {
    std::lock_guard lock(mutex);
    sessions.emplace(id, std::move(session));
    connections_gauge.add(1);
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
    connections_gauge.add(-1);
    if (sessions.empty()) drained.notify_all();
  }
  std::size_t open() {
    std::lock_guard lock(mutex);
    return sessions.size();
  }

  const HttpServerOptions options;
  const HttpHandler handler;
  WebSocketUpgradeHandler websocket_handler;  // set before start(), read-only after
  Logger& logger;
  LogThrottle rejection_log;  // one line per reason per interval, whoever the peer
  Gauge& connections_gauge;
  Gauge& websockets_gauge;
  Counter& rejected_too_large;
  Counter& rejected_header_too_large;
  Counter& rejected_malformed;
  Counter& rejected_timeout;
  Counter& rejected_over_capacity;
  Counter& rejected_memory_budget;
  BodyBudget body_budget;
  std::atomic<bool> draining{false};

  std::mutex mutex;
  std::condition_variable drained;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

bool safe_header(const std::string& name, const std::string& value) {
  auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  if (name.empty() || std::any_of(name.begin(), name.end(), bad)) return false;
  if (std::any_of(value.begin(), value.end(), bad)) return false;
  // Framing belongs to the server; a handler setting it would corrupt the connection.
  beast::string_view n(name);
  return !beast::iequals(n, "content-length") && !beast::iequals(n, "transfer-encoding") &&
         !beast::iequals(n, "connection");
}

// Status line and headers of a response, through the blank line. `response`'s headers must
// have passed safe_header(); the framing (Content-Length, Connection) is set here only.
std::string response_head(unsigned version, unsigned status, const HttpResponse& response,
                          bool keep_alive, bool with_body) {
  std::string head;
  head.reserve(160 + response.content_type.size());
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  const auto reason = http::obsolete_reason(http::int_to_status(status));
  head.append(reason.data(), reason.size());
  head += "\r\nServer: omniroute\r\n";
  auto add = [&head](std::string_view name, std::string_view value) {
    head.append(name).append(": ").append(value).append("\r\n");
  };
  if (!response.content_type.empty()) add("Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) add(name, value);
  if (with_body) add("Content-Length", std::to_string(response.body.size()));
  if (version >= 11 && !keep_alive) head += "Connection: close\r\n";
  if (version < 11 && keep_alive) head += "Connection: keep-alive\r\n";
  head += "\r\n";
  return head;
}

// Moves the body out of `msg`; the rest stays (a WebSocket handshake still needs the headers).
HttpRequest to_request(http::request<http::string_body>& msg, const tcp::endpoint& peer,
                       const std::string& peer_address) {
  HttpRequest request;
  request.method = to_std(msg.method_string());
  request.target = to_std(msg.target());
  auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : msg) {
    std::string name = to_std(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), to_std(field.value()));
  }
  request.version = msg.version();
  request.body = std::move(msg.body());
  request.remote_address = peer_address;
  request.remote_port = peer.port();
  return request;
}

// One client connection: a keep-alive loop of read request, call handler, write response.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerCore& core, std::uint64_t id, tcp::socket socket)
      : core_(core), id_(id), stream_(std::move(socket)) {
    // Beast announces each chunk's size before its bytes: reserve them then, or stop reading.
    on_chunk_header_ = [this](std::uint64_t size, beast::string_view, beast::error_code& ec) {
      if (!body_ || !body_->grow(size)) ec = over_budget();
    };
    beast::error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec);
    peer_address_ = peer_.address().to_string();  // once per connection, not per request
  }
  ~Session() {
    if (websocket_) websocket_->abandon();
    core_.remove(id_);
  }

  static asio::awaitable<void> run(std::shared_ptr<Session> self) {
    co_await self->serve();
    if (self->websocket_) co_return;  // the socket went with it and is closed
    if (self->linger_) co_await self->linger_close();
    beast::error_code ec;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream_.socket().close(ec);
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

  // Drain: a connection between requests closes now; one mid-request finishes first; a
  // WebSocket is told the server is going away. On the strand.
  void drain() {
    if (websocket_) {
      websocket_->channel()->close(1001, "server shutting down");
    } else if (idle_) {
      stream_.cancel();
    }
  }

 private:
  asio::awaitable<void> serve() {
    for (;;) {
      if (!co_await wait_for_request()) co_return;
      // This request's body bytes, given back when the iteration ends: after the response is
      // written, or on any co_return.
      BodyReservation body(core_.body_budget);
      auto ec = co_await read_request(body);
      if (ec) {
        co_await reject(ec);
        co_return;
      }
      auto& msg = parser_->get();
      bool keep_alive = msg.keep_alive();
      unsigned version = msg.version();
      if (core_.websocket_handler && detail::is_websocket_upgrade(msg)) {
        body.release();  // a WebSocket lives long; its handshake body is not kept
        if (!co_await upgrade(keep_alive)) co_return;
        continue;
      }
      auto released = parser_->release();
      HttpResponse response = co_await call_handler(to_request(released, peer_, peer_address_));
      keep_alive = keep_alive && !core_.draining.load();
      if (!co_await write(std::move(response), version, keep_alive) || !keep_alive) co_return;
    }
  }

  // Idle phase: wait for the first byte of the next request under idle_timeout. Returns false
  // when the connection should close (peer gone, idle too long, drain).
  asio::awaitable<bool> wait_for_request() {
    if (buffer_.size() > 0) co_return true;  // a pipelined request is already buffered
    beast::error_code ec;
    // Draining: a request already in the socket still counts as in flight; silence does not.
    if (core_.draining.load() && stream_.socket().available(ec) == 0) co_return false;
    idle_ = true;
    stream_.expires_after(core_.options.idle_timeout);
    auto [rec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), use_tuple);
    idle_ = false;
    if (rec) co_return false;
    buffer_.commit(n);
    co_return true;
  }

  // The whole request, headers and body, under one read_timeout deadline. The body's bytes
  // are reserved in `body` before they are read: all at once for a Content-Length, chunk by
  // chunk otherwise; over_budget() when they do not fit.
  asio::awaitable<beast::error_code> read_request(BodyReservation& body) {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.max_header_bytes));
    parser_->body_limit(core_.options.max_body_bytes);
    parser_->on_chunk_header(on_chunk_header_);
    stream_.expires_after(core_.options.read_timeout);
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, *parser_, use_tuple);
    if (ec) co_return ec;
    if (parser_->is_done()) co_return finish_read();
    if (auto length = parser_->content_length(); length && !body.grow(*length)) {
      co_return over_budget();  // before a 100 Continue: the client need not send it
    }
    if (expects_continue(parser_->get())) {
      http::response<http::empty_body> interim{http::status::continue_, 11};
      auto [wec, wn] = co_await http::async_write(stream_, interim, use_tuple);
      if (wec) co_return wec;
    }
    body_ = &body;
    auto [bec, bn] = co_await http::async_read(stream_, buffer_, *parser_, use_tuple);
    body_ = nullptr;
    if (bec) co_return bec;
    co_return finish_read();
  }

  beast::error_code finish_read() {
    stream_.expires_never();
    return {};
  }

  static bool expects_continue(const http::request<http::string_body>& msg) {
    auto it = msg.find(http::field::expect);
    return msg.version() >= 11 && it != msg.end() && beast::iequals(it->value(), "100-continue");
  }

  // A request that failed to arrive whole: answer if the client deserves an answer, then close.
  asio::awaitable<void> reject(beast::error_code ec) {
    const auto& limits = core_.options;
    if (ec == http::error::body_limit) {
      core_.rejected_too_large.inc();
      co_await refuse(413, "too_large",
                      "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
    } else if (ec == http::error::header_limit) {
      core_.rejected_header_too_large.inc();
      co_await refuse(
          431, "header_too_large",
          "request headers exceed " + std::to_string(limits.max_header_bytes) + " bytes");
    } else if (ec == over_budget()) {
      core_.rejected_memory_budget.inc();
      HttpResponse busy = json_error(503, "memory_budget",
                                     "the server holds its limit of request bodies; retry shortly");
      busy.headers.emplace_back("Retry-After", kMemoryBudgetRetryAfter);
      co_await refuse(std::move(busy), "memory_budget");
    } else if (ec == beast::error::timeout) {
      core_.rejected_timeout.inc();
      log_rejection("timeout");
    } else if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
               ec.category() != http::make_error_code(http::error::bad_target).category()) {
      // The peer went away or the socket failed: nobody to answer.
    } else {
      core_.rejected_malformed.inc();
      co_await refuse(400, "malformed", "malformed HTTP request: " + ec.message());
    }
  }

  // Answers and closes: the rest of the request (if any) is never read.
  asio::awaitable<void> refuse(int status, const char* code, const std::string& message) {
    co_await refuse(json_error(status, code, message), code);
  }
  asio::awaitable<void> refuse(HttpResponse response, const char* code) {
    log_rejection(code);
    unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    co_await write(std::move(response), version, false);
    linger_ = true;
  }

  void log_rejection(const char* reason) {
    if (auto suppressed = core_.rejection_log.admit("http", reason)) {
      core_.logger.info(
          "http request rejected",
          {{"reason", reason}, {"remote", peer_address_}, {"suppressed", *suppressed}});
    }
  }

  // A request to upgrade: the WebSocket handler refuses it with a response (and the HTTP loop
  // goes on if `keep_alive`: returns true) or accepts it, and the socket is a WebSocket until it
  // closes (returns false).
  asio::awaitable<bool> upgrade(bool keep_alive) {
    auto msg = parser_->release();
    unsigned version = msg.version();
    if (core_.draining.load()) {
      co_await write(json_error(503, "unavailable", "the server is shutting down"), version, false);
      co_return false;
    }
    auto peer = detail::WebSocketPeer::create(stream_.get_executor(), core_.options.websocket,
                                              core_.options.read_timeout, core_.logger);
    std::variant<HttpResponse, WebSocketCallbacks> answer =
        json_error(500, "internal", "the upgrade handler failed");
    try {
      answer = core_.websocket_handler(to_request(msg, peer_, peer_address_), peer->channel());
    } catch (const std::exception& e) {
      core_.logger.error("websocket upgrade handler threw", {{"what", e.what()}});
    }
    if (auto* refusal = std::get_if<HttpResponse>(&answer)) {
      peer->abandon();
      keep_alive = keep_alive && !core_.draining.load();
      co_return co_await write(std::move(*refusal), version, keep_alive) && keep_alive;
    }
    websocket_ = std::move(peer);
    core_.websockets_gauge.add(1);
    struct Uncount {
      Gauge& gauge;
      ~Uncount() { gauge.add(-1); }
    } uncount{core_.websockets_gauge};
    // A drain that started while the handler ran has already passed this session by.
    if (core_.draining.load()) websocket_->channel()->close(1001, "server shutting down");
    co_await websocket_->serve(std::move(stream_), std::move(msg),
                               std::get<WebSocketCallbacks>(std::move(answer)));
    co_return false;
  }

  // Calls the handler and suspends until its responder is called, from whatever thread.
  asio::awaitable<HttpResponse> call_handler(HttpRequest&& request) {
    auto slot = std::make_shared<ReplySlot>(stream_.get_executor());
    try {
      core_.handler(std::move(request), make_responder(slot, core_.logger));
    } catch (const std::exception& e) {
      core_.logger.error("http handler threw", {{"what", e.what()}});
    }
    asio::steady_timer wakeup(stream_.get_executor(), asio::steady_timer::time_point::max());
    if (slot->arm(&wakeup)) {
      struct Disarm {
        ReplySlot& slot;
        ~Disarm() { slot.disarm(); }  // before `wakeup` dies, even if the frame is destroyed
      } disarm{*slot};
      co_await wakeup.async_wait(use_tuple);
    }
    auto response = slot->take();
    co_return response ? std::move(*response) : json_error(500, "internal", "no answer");
  }

  // The head is written by hand and sent with the body in one gathered write: Beast's
  // serializer walked a chain of buffer views per response, ~5 % of an I/O thread's time on
  // small webhook answers (docs/benchmarks.md).
  asio::awaitable<bool> write(HttpResponse response, unsigned version, bool keep_alive) {
    const unsigned status = sanitize_status(response.status);
    drop_unsafe_headers(response);
    const bool bodyless = status == 204 || status == 304;
    if (bodyless) response.body.clear();
    const std::string head = response_head(version, status, response, keep_alive, !bodyless);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                    asio::buffer(response.body)};
    stream_.expires_after(core_.options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, buffers, use_tuple);
    stream_.expires_never();
    if (ec) core_.logger.debug("http write failed", {{"error", ec.message()}});
    co_return !ec;
  }

  void drop_unsafe_headers(HttpResponse& response) {
    if (!response.content_type.empty() && !safe_header("Content-Type", response.content_type)) {
      core_.logger.error("http handler set an unsafe content type", {});
      response.content_type.clear();
    }
    std::erase_if(response.headers, [this](const auto& header) {
      if (safe_header(header.first, header.second)) return false;
      core_.logger.error("http handler set an unsafe response header", {{"name", header.first}});
      return true;
    });
  }

  unsigned sanitize_status(int status) {
    if (status >= 200 && status <= 599) return static_cast<unsigned>(status);
    core_.logger.error("http handler answered an invalid status", {{"status", status}});
    return 500;
  }

  asio::awaitable<void> linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::min(core_.options.read_timeout, kMaxLinger));
    std::array<char, 4096> sink;
    for (std::size_t total = 0; total < kMaxLingerBytes;) {
      auto [rec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
      if (rec) break;
      total += n;
    }
  }

  ServerCore& core_;
  const std::uint64_t id_;
  beast::tcp_stream stream_;
  tcp::endpoint peer_;
  std::string peer_address_;
  beast::flat_buffer buffer_;
  // The parser keeps a reference to this callback; `body_` is the reservation of the body
  // being read, null between reads.
  std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_header_;
  BodyReservation* body_ = nullptr;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<detail::WebSocketPeer> websocket_;  // set once upgraded; owns the socket
  bool idle_ = false;    // waiting between requests; drain may close it
  bool linger_ = false;  // we refused the request; drain the client's input before closing
};

void log_if_failed(Logger& logger, const char* what, std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    logger.error(what, {{"what", e.what()}});
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler handler, Logger& logger, Metrics& metrics)
      : core(std::move(options), std::move(handler), logger, metrics),
        contexts(make_contexts(core.options.threads)),
        work(make_work(contexts)),
        acceptor(contexts.front()->get_executor()) {}

  // One io_context per thread, each run by exactly that thread: a connection, its handler's
  // work and (through RedisClient's per-context connections) its Redis round trip all stay
  // on one thread, with no hand-over between threads and no strand needed.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(std::size_t threads) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
      out.push_back(std::make_unique<asio::io_context>(1));
    }
    return out;
  }
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  static std::vector<WorkGuard> make_work(
      const std::vector<std::unique_ptr<asio::io_context>>& contexts) {
    std::vector<WorkGuard> out;
    for (const auto& io : contexts) out.push_back(asio::make_work_guard(*io));
    return out;
  }
  bool on_pool_thread() const {
    return std::any_of(contexts.begin(), contexts.end(),
                       [](const auto& io) { return io->get_executor().running_in_this_thread(); });
  }

  void bind() {
    beast::error_code ec;
    auto address = asio::ip::make_address(core.options.address, ec);
    std::string where = core.options.address + ":" + std::to_string(core.options.port);
    if (ec) throw std::runtime_error("invalid HTTP listen address " + where + ": " + ec.message());
    tcp::endpoint endpoint(address, core.options.port);
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor.bind(endpoint, ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
      throw std::runtime_error("cannot listen for HTTP on " + where + ": " + ec.message());
    }
    bound_port = acceptor.local_endpoint().port();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      // Round-robin over the contexts; the socket lives on its context from now on.
      tcp::socket socket(contexts[next_context++ % contexts.size()]->get_executor());
      auto [ec] = co_await acceptor.async_accept(socket, use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        co_await back_off(ec);
        continue;
      }
      if (core.draining.load()) continue;  // closed by the socket's destructor
      if (core.open() >= core.options.max_connections) {
        core.rejected_over_capacity.inc();
        continue;
      }
      start_session(std::move(socket));
    }
  }

  // Out of descriptors: pause instead of spinning on a failing accept.
  asio::awaitable<void> back_off(beast::error_code ec) {
    core.logger.error("http accept failed", {{"error", ec.message()}});
    asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
    co_await pause.async_wait(use_tuple);
  }

  void start_session(tcp::socket socket) {
    auto session = std::make_shared<Session>(core, next_id, std::move(socket));
    core.add(next_id++, session);
    asio::co_spawn(session->executor(), Session::run(session), [this](std::exception_ptr e) {
      log_if_failed(core.logger, "http session failed", e);
    });
  }

  void close_acceptor() {
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    asio::post(acceptor.get_executor(), [this, closed] {
      beast::error_code ec;
      acceptor.close(ec);
      closed->set_value();
    });
    // A pool thread must not block on work the pool itself has to run.
    if (running && !on_pool_thread()) done.wait();
  }

  void run_thread(asio::io_context& ioc) {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        core.logger.error("http server thread caught an exception", {{"what", e.what()}});
      }
    }
  }

  // Order matters: the io_contexts die before `core`, so sessions they destroy can still
  // unregister; the acceptor and work guards die before the io_contexts.
  ServerCore core;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<WorkGuard> work;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::uint16_t bound_port = 0;
  std::uint64_t next_id = 1;     // only the accept loop touches it
  std::size_t next_context = 0;  // likewise
  bool running = false;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, Logger& logger,
                       Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), logger, metrics)) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  impl_->bind();
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(),
                 [this](std::exception_ptr e) {
                   log_if_failed(impl_->core.logger, "http accept loop failed", e);
                 });
  impl_->running = true;
  for (auto& io : impl_->contexts) {
    impl_->threads.emplace_back([this, &io = *io] { impl_->run_thread(io); });
  }
}

std::uint16_t HttpServer::port() const {
  return impl_->bound_port;
}

void HttpServer::set_websocket_handler(WebSocketUpgradeHandler handler) {
  impl_->core.websocket_handler = std::move(handler);
}

boost::asio::io_context& HttpServer::context() {
  return *impl_->contexts.front();
}

std::vector<boost::asio::io_context*> HttpServer::contexts() {
  std::vector<boost::asio::io_context*> out;
  for (auto& io : impl_->contexts) out.push_back(io.get());
  return out;
}

void HttpServer::begin_drain() {
  if (impl_->core.draining.exchange(true)) return;
  impl_->close_acceptor();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(impl_->core.mutex);
    for (auto& [id, weak] : impl_->core.sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) {
    asio::post(session->executor(), [session] { session->drain(); });
  }
}

bool HttpServer::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->core.mutex);
  return impl_->core.drained.wait_for(lock, timeout,
                                      [this] { return impl_->core.sessions.empty(); });
}

bool HttpServer::wait_drained() {
  return wait_drained(impl_->core.options.drain_timeout);
}

void HttpServer::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  for (auto& guard : impl_->work) guard.reset();
  for (auto& io : impl_->contexts) io->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

std::size_t HttpServer::connections() const {
  return impl_->core.open();
}

std::size_t HttpServer::in_flight_body_bytes() const {
  return impl_->core.body_budget.used();
}

}  // namespace omniroute::daemon
