// hiredis's async context wired to Boost.Asio: hiredis asks for read/write readiness through
// its ev hooks, we wait on the socket with a stream_descriptor and call back into hiredis, all
// on one strand per connection. Replies come back in order, so a FIFO of callbacks matches them.
#include "daemon/redis/client.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <optional>
#include <random>
#include <type_traits>

#include "common/log.h"
#include "common/metrics.h"

namespace omniroute::daemon {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

RedisReply copy_reply(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
      return RedisReply::make_string(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
      return RedisReply::make_status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return RedisReply::make_error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return RedisReply::make_integer(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> elements;
      elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(copy_reply(*r.element[i]));
      return RedisReply::make_array(std::move(elements));
    }
    default:
      return RedisReply::nil();
  }
}

// True for 0, 1, 2, 4, 8, ...: repeated failures are logged loudly at exponentially spaced
// attempts, so a long outage does not flood the journal.
bool worth_logging(unsigned attempt) {
  return (attempt & (attempt - 1)) == 0;
}

}  // namespace

std::string describe(const RedisReply& reply) {
  switch (reply.type) {
    case RedisReply::Type::nil:
      return "(nil)";
    case RedisReply::Type::integer:
      return "(integer) " + std::to_string(reply.integer);
    case RedisReply::Type::array:
      return "(array of " + std::to_string(reply.elements.size()) + ")";
    case RedisReply::Type::error:
      return "(error) " + reply.str;
    default:
      return reply.str;
  }
}

// One hiredis connection. Every member below the constructor is touched only on strand_.
class RedisClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, bool single_thread, const RedisClientOptions& options,
             std::size_t index, Logger& log, Metrics& metrics)
      : io_(io),
        single_thread_(single_thread),
        strand_(asio::make_strand(io)),
        options_(options),
        index_(index),
        log_(log),
        metrics_(metrics),
        reconnects_(metrics.counter("omniroute_redis_reconnects_total",
                                    "Reconnect attempts after a Redis connection was lost")),
        connected_(metrics.gauge("omniroute_redis_connected",
                                 "Redis connections that are up and past AUTH/SELECT")),
        timeout_timer_(strand_),
        reconnect_timer_(strand_),
        rng_(std::random_device{}()) {}

  ~Connection() {
    // Reached with a live context only if the io_context never ran our stop(): drop the
    // callbacks without calling them (as Asio does with handlers) and free hiredis quietly.
    if (ctx_ != nullptr) {
      destroying_ = true;
      pending_.clear();
      redisAsyncFree(ctx_);
    }
  }

  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // True on the thread that runs this connection's io_context (meaningful when that context
  // has a single thread).
  bool local() const { return io_.get_executor().running_in_this_thread(); }

  void start() {
    asio::post(strand_, [self = shared_from_this()] { self->connect(); });
  }

  void stop() {
    asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
  }

  // std::vector<std::string>, or a shared_ptr to a command in RESP.
  template <class Args>
  void submit(Args args, RedisCallback done, RedisWrite write) {
    auto run = [self = shared_from_this(), args = std::move(args), done = std::move(done),
                write]() mutable {
      if (!self->ready() || self->ctx_ == nullptr) {
        self->count_error("unavailable");
        done(make_error(Errc::unavailable, "redis is not connected"));
        return;
      }
      if constexpr (std::is_same_v<Args, std::vector<std::string>>) {
        self->send(args, std::move(done), write);
      } else {
        self->send_formatted(*args, std::move(done), write);
      }
    };
    // On the one thread that runs our io_context nothing else can touch this connection now:
    // send at once instead of queueing a handler (the command goes out on this turn's flush).
    if (single_thread_ && local() && ready() && ctx_ != nullptr) return run();
    asio::post(strand_, std::move(run));
  }

 private:
  struct Pending {
    RedisCallback done;
    SteadyClock::time_point deadline;
  };

  // --- connection life cycle ---------------------------------------------------------------

  void connect() {
    if (stopping_) return;
    const RedisEndpoint& ep = options_.endpoint;
    redisAsyncContext* ac = ep.kind == RedisEndpoint::Kind::tcp
                                ? redisAsyncConnect(ep.host.c_str(), ep.port)
                                : redisAsyncConnectUnix(ep.socket_path.c_str());
    if (ac == nullptr || ac->err != 0) {
      const std::string why = ac != nullptr ? ac->errstr : "out of memory";
      if (ac != nullptr) redisAsyncFree(ac);
      connect_failed(why);
      return;
    }
    ++generation_;
    ctx_ = ac;
    ac->data = this;
    drop_errc_ = Errc::unavailable;
    drop_message_.clear();
    handshake_failed_ = false;
    want_read_ = want_write_ = read_armed_ = write_armed_ = false;
    descriptor_.emplace(strand_, ac->c.fd);
    ac->ev.data = this;
    ac->ev.addRead = [](void* p) { static_cast<Connection*>(p)->want_read(true); };
    ac->ev.delRead = [](void* p) { static_cast<Connection*>(p)->want_read(false); };
    ac->ev.addWrite = [](void* p) { static_cast<Connection*>(p)->want_write(true); };
    ac->ev.delWrite = [](void* p) { static_cast<Connection*>(p)->want_write(false); };
    ac->ev.cleanup = [](void* p) { static_cast<Connection*>(p)->on_context_gone(); };
    send_handshake();
  }

  // AUTH and SELECT go first on the new connection (hiredis buffers them until the socket is
  // up); the PING after them proves the server answers, and only then is the connection ready.
  void send_handshake() {
    const RedisEndpoint& ep = options_.endpoint;
    if (!ep.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!ep.user.empty()) auth.push_back(ep.user);
      auth.push_back(ep.password);
      send(auth, [this](Result<RedisReply> r) { handshake_step(r, "auth"); });
    }
    if (ep.db != 0) {
      send({"SELECT", std::to_string(ep.db)},
           [this](Result<RedisReply> r) { handshake_step(r, "select"); });
    }
    send({"PING"}, [this](Result<RedisReply> r) {
      if (handshake_step(r, "ping") && !handshake_failed_) become_ready();
    });
  }

  bool handshake_step(const Result<RedisReply>& r, const char* step) {
    if (!r) return false;  // the context is going away; on_context_gone() reports why
    if (!r->is_error()) return true;
    if (!handshake_failed_) {
      handshake_failed_ = true;
      count_error(std::string_view(step) == "auth" ? "auth" : "handshake");
      if (worth_logging(attempts_)) {
        log_.error("redis handshake failed", {{"step", step},
                                              {"error", r->str},
                                              {"endpoint", options_.endpoint.describe()},
                                              {"connection", index_}});
      }
      // We are inside a hiredis callback, where the context must not be freed: post the drop.
      asio::post(strand_, [self = shared_from_this(), gen = generation_] {
        if (gen == self->generation_) self->drop(Errc::unavailable, "redis handshake failed");
      });
    }
    return false;
  }

  void become_ready() {
    ready_.store(true, std::memory_order_release);
    connected_.add(1);
    log_.info("redis connected", {{"endpoint", options_.endpoint.describe()},
                                  {"connection", index_},
                                  {"attempts", attempts_}});
    attempts_ = 0;
  }

  // Frees the context; hiredis then fails every callback in flight (with `reason`) and calls
  // our cleanup hook, which schedules the reconnect.
  void drop(Errc reason, std::string message) {
    if (ctx_ == nullptr) return;
    drop_errc_ = reason;
    drop_message_ = std::move(message);
    redisAsyncFree(ctx_);
  }

  // hiredis's cleanup hook: the context is being freed (by us, or by hiredis after an I/O or
  // protocol error). Its pending callbacks have already been failed.
  void on_context_gone() {
    const bool had_socket = (ctx_->c.flags & REDIS_CONNECTED) != 0;
    const std::string why = drop_message_.empty() ? std::string(ctx_->errstr) : drop_message_;
    ctx_ = nullptr;
    ++generation_;  // waits still queued for the old socket must not touch the next one
    if (descriptor_) descriptor_->release();  // hiredis closes the fd itself
    descriptor_.reset();
    for (auto& p : std::exchange(pending_, {})) p.done(make_error(drop_errc_, why));
    if (destroying_) return;
    if (ready_.exchange(false, std::memory_order_acq_rel)) {
      connected_.add(-1);
      if (!stopping_ && drop_errc_ != Errc::timeout) count_error("disconnect");
      log_.log(
          stopping_ ? LogLevel::info : LogLevel::warn, "redis disconnected",
          {{"endpoint", options_.endpoint.describe()}, {"connection", index_}, {"reason", why}});
    } else if (!stopping_ && !handshake_failed_ && drop_errc_ != Errc::timeout) {
      connect_failed(had_socket ? "connection closed during handshake: " + why : why);
      return;
    }
    if (!stopping_) schedule_reconnect();
  }

  void connect_failed(const std::string& why) {
    count_error("connect");
    if (worth_logging(attempts_)) {
      log_.warn("redis connect failed", {{"endpoint", options_.endpoint.describe()},
                                         {"connection", index_},
                                         {"attempts", attempts_},
                                         {"error", why}});
    }
    schedule_reconnect();
  }

  // Exponential back-off with "equal jitter": half the delay fixed, half random, so that a
  // pool (or a fleet) that lost Redis together does not reconnect in lockstep.
  void schedule_reconnect() {
    if (stopping_) return;
    const auto shift = std::min(attempts_, 16u);
    const auto ceiling = std::min<std::int64_t>(options_.reconnect_max.count(),
                                                options_.reconnect_min.count() << shift);
    std::uniform_int_distribution<std::int64_t> jitter(
        ceiling / 2, std::max<std::int64_t>(ceiling / 2, ceiling));
    ++attempts_;
    reconnect_timer_.expires_after(std::chrono::milliseconds(jitter(rng_)));
    reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopping_) return;
      self->reconnects_.inc();
      self->connect();
    });
  }

  void shutdown() {
    stopping_ = true;
    reconnect_timer_.cancel();
    timeout_timer_.cancel();
    drop(Errc::unavailable, "redis client stopped");
  }

  // --- commands ----------------------------------------------------------------------------

  void send(const std::vector<std::string>& args, RedisCallback done,
            RedisWrite write = RedisWrite::with_turn) {
    // Commands rarely have more than a dozen arguments: their pointers stay on the stack.
    constexpr std::size_t kInlineArgs = 16;
    std::array<const char*, kInlineArgs> inline_argv;
    std::array<std::size_t, kInlineArgs> inline_lengths;
    std::vector<const char*> heap_argv;
    std::vector<std::size_t> heap_lengths;
    const char** argv = inline_argv.data();
    std::size_t* lengths = inline_lengths.data();
    if (args.size() > kInlineArgs) {
      heap_argv.resize(args.size());
      heap_lengths.resize(args.size());
      argv = heap_argv.data();
      lengths = heap_lengths.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
      argv[i] = args[i].data();
      lengths[i] = args[i].size();
    }
    const int rc = redisAsyncCommandArgv(ctx_, &Connection::on_reply, nullptr,
                                         static_cast<int>(args.size()), argv, lengths);
    queued(rc, std::move(done), write);
  }

  void send_formatted(const std::string& resp, RedisCallback done, RedisWrite write) {
    const int rc =
        redisAsyncFormattedCommand(ctx_, &Connection::on_reply, nullptr, resp.data(), resp.size());
    queued(rc, std::move(done), write);
  }

  // After hiredis took a command (rc REDIS_OK) or refused it: await its reply.
  void queued(int rc, RedisCallback done, RedisWrite write) {
    if (rc != REDIS_OK) {
      count_error("unavailable");
      // Posted: a command sent inline (see submit) must not answer inside command().
      asio::post(strand_, [done = std::move(done)] {
        done(make_error(Errc::unavailable, "redis connection is closing"));
      });
      return;
    }
    // Until the handshake is done the connect timeout applies (it covers a connect that hangs).
    const auto limit = ready() ? options_.command_timeout : options_.connect_timeout;
    pending_.push_back({std::move(done), SteadyClock::now() + limit});
    arm_timeout();
    if (write == RedisWrite::now) write_now();
  }

  // Writes what hiredis has queued without waiting for the write wait's handler, which hiredis
  // armed when the command was queued and which still runs: it writes any rest, re-arms the
  // read, and on a write error (left on the context by redisBufferWrite, which never calls
  // back) fails the commands in flight, so no callback runs inside command().
  void write_now() {
    int done = 0;
    redisBufferWrite(&ctx_->c, &done);
  }

  // hiredis's reply callback. A null reply means the context is being freed.
  static void on_reply(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
    auto* self = static_cast<Connection*>(ac->data);
    if (self->pending_.empty()) return;  // destroying: callbacks were dropped already
    Pending p = std::move(self->pending_.front());
    self->pending_.pop_front();
    if (reply == nullptr) {
      const std::string why = self->drop_message_.empty()
                                  ? "redis connection lost: " + std::string(ac->errstr)
                                  : self->drop_message_;
      p.done(make_error(self->drop_errc_, why));
    } else {
      p.done(copy_reply(*static_cast<redisReply*>(reply)));
    }
  }

  // One timer watches the oldest command: all share one timeout, so it has the first deadline.
  void arm_timeout() {
    if (timeout_armed_ || pending_.empty() || stopping_) return;
    timeout_armed_ = true;
    timeout_timer_.expires_at(pending_.front().deadline);
    timeout_timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
      self->timeout_armed_ = false;
      self->on_timeout_timer();
    });
  }

  void on_timeout_timer() {
    if (pending_.empty() || stopping_) return;
    if (pending_.front().deadline > SteadyClock::now()) {
      arm_timeout();
      return;
    }
    count_error("timeout");
    log_.warn("redis command timed out; dropping the connection",
              {{"endpoint", options_.endpoint.describe()},
               {"connection", index_},
               {"in_flight", pending_.size()},
               {"timeout_ms", static_cast<std::int64_t>(options_.command_timeout.count())}});
    drop(Errc::timeout,
         "no answer from redis within " + std::to_string(options_.command_timeout.count()) + " ms");
  }

  // --- hiredis event hooks -------------------------------------------------------------------

  void want_read(bool on) {
    want_read_ = on;
    if (!on || read_armed_ || !descriptor_) return;
    read_armed_ = true;
    descriptor_->async_wait(asio::posix::stream_descriptor::wait_read,
                            [self = shared_from_this(), gen = generation_](
                                boost::system::error_code ec) { self->on_ready(ec, gen, true); });
  }

  void want_write(bool on) {
    want_write_ = on;
    if (!on || write_armed_ || !descriptor_) return;
    write_armed_ = true;
    descriptor_->async_wait(asio::posix::stream_descriptor::wait_write,
                            [self = shared_from_this(), gen = generation_](
                                boost::system::error_code ec) { self->on_ready(ec, gen, false); });
  }

  void on_ready(boost::system::error_code ec, std::uint64_t gen, bool readable) {
    if (gen != generation_) return;  // a wait for a context that is gone
    (readable ? read_armed_ : write_armed_) = false;
    if (ec || ctx_ == nullptr) return;
    if (readable && want_read_) redisAsyncHandleRead(ctx_);
    if (!readable && want_write_) redisAsyncHandleWrite(ctx_);
  }

  void count_error(std::string_view kind) {
    metrics_
        .counter("omniroute_redis_errors_total", "Redis errors by kind",
                 {{"kind", std::string(kind)}})
        .inc();
  }

  asio::io_context& io_;
  const bool single_thread_;  // io_ is run by one thread (the per-context constructor)
  asio::strand<asio::io_context::executor_type> strand_;
  const RedisClientOptions options_;
  const std::size_t index_;
  Logger& log_;
  Metrics& metrics_;
  Counter& reconnects_;
  Gauge& connected_;
  std::atomic<bool> ready_{false};

  redisAsyncContext* ctx_ = nullptr;
  std::uint64_t generation_ = 0;
  std::optional<asio::posix::stream_descriptor> descriptor_;
  bool want_read_ = false, want_write_ = false, read_armed_ = false, write_armed_ = false;
  std::deque<Pending> pending_;
  Errc drop_errc_ = Errc::unavailable;
  std::string drop_message_;
  bool handshake_failed_ = false;
  bool stopping_ = false;
  bool destroying_ = false;
  asio::steady_timer timeout_timer_;
  bool timeout_armed_ = false;
  asio::steady_timer reconnect_timer_;
  unsigned attempts_ = 0;
  std::minstd_rand rng_;
};

RedisClient::RedisClient(asio::io_context& io, RedisClientOptions options, Logger& log,
                         Metrics& metrics)
    : RedisClient(std::vector<asio::io_context*>{&io}, std::move(options), log, metrics, false) {}

RedisClient::RedisClient(std::vector<asio::io_context*> contexts, RedisClientOptions options,
                         Logger& log, Metrics& metrics)
    : RedisClient(std::move(contexts), std::move(options), log, metrics, true) {}

RedisClient::RedisClient(std::vector<asio::io_context*> contexts, RedisClientOptions options,
                         Logger& log, Metrics& metrics, bool single_thread)
    : options_(std::move(options)) {
  if (options_.connections == 0) throw std::invalid_argument("redis connections must be >= 1");
  if (contexts.empty()) throw std::invalid_argument("redis client needs an io_context");
  if (options_.reconnect_min.count() <= 0 || options_.reconnect_max < options_.reconnect_min) {
    throw std::invalid_argument("redis reconnect back-off must satisfy 0 < min <= max");
  }
  // Every context gets at least one connection; connection i lives on context i mod N.
  const std::size_t n = std::max(options_.connections, contexts.size());
  by_context_.resize(contexts.size());
  for (std::size_t i = 0; i < n; ++i) {
    by_context_[i % contexts.size()].push_back(i);
    connections_.push_back(std::make_shared<Connection>(*contexts[i % contexts.size()],
                                                        single_thread, options_, i, log, metrics));
  }
  if (!single_thread) by_context_.clear();  // a shared pool: no thread owns a connection
}

RedisClient::~RedisClient() {
  stop();
}

void RedisClient::start() {
  for (auto& c : connections_) c->start();
}

void RedisClient::stop() {
  if (stopped_.exchange(true)) return;
  for (auto& c : connections_) c->stop();
}

void RedisClient::command(std::vector<std::string> args, RedisCallback done, RedisWrite write) {
  submit_any(std::move(args), std::move(done), write);
}

void RedisClient::command_formatted(std::shared_ptr<const std::string> resp, RedisCallback done,
                                    RedisWrite write) {
  submit_any(std::move(resp), std::move(done), write);
}

void append_resp_array(std::string& out, std::size_t count) {
  out += '*';
  out += std::to_string(count);
  out += "\r\n";
}

void append_resp_bulk(std::string& out, std::string_view arg) {
  out += '$';
  out += std::to_string(arg.size());
  out += "\r\n";
  out.append(arg.data(), arg.size());
  out += "\r\n";
}

template <class Args>
void RedisClient::submit_any(Args args, RedisCallback done, RedisWrite write) {
  // From a thread that owns connections: one of its own, so the command and its answer stay on
  // this thread. Elsewhere (or if none of its own is up): round-robin over the ready ones.
  for (const auto& own : by_context_) {
    if (!connections_[own.front()]->local()) continue;
    const std::size_t pick = own.size() == 1 ? 0 : next_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < own.size(); ++i) {
      auto& c = connections_[own[(pick + i) % own.size()]];
      if (c->ready()) return c->submit(std::move(args), std::move(done), write);
    }
    break;
  }
  const std::size_t n = connections_.size();
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i) {
    auto& c = connections_[(first + i) % n];
    if (c->ready()) return c->submit(std::move(args), std::move(done), write);
  }
  // None is ready: the connection's strand fails it (or sends it, if it just came up).
  connections_[first % n]->submit(std::move(args), std::move(done), write);
}

bool RedisClient::ready() const {
  return ready_connections() > 0;
}

std::size_t RedisClient::ready_connections() const {
  std::size_t n = 0;
  for (const auto& c : connections_) n += c->ready() ? 1 : 0;
  return n;
}

}  // namespace omniroute::daemon
