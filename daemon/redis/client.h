// The daemon's Redis client: hiredis's async API driven by Boost.Asio, a small pool of
// pipelined connections, fail-fast while disconnected, reconnect with back-off in the background.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "daemon/redis/url.h"

namespace boost::asio {
class io_context;
}

namespace omniroute {
class Logger;
class Metrics;
}  // namespace omniroute

namespace omniroute::daemon {

// A Redis reply copied out of hiredis, so it outlives the callback that produced it.
struct RedisReply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string str;  // string, status and error text
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  bool is_string() const { return type == Type::string || type == Type::status; }
  bool is_integer() const { return type == Type::integer; }
  bool is_array() const { return type == Type::array; }

  static RedisReply nil() { return {}; }
  static RedisReply make_integer(std::int64_t v) { return {Type::integer, v, {}, {}}; }
  static RedisReply make_string(std::string s) { return {Type::string, 0, std::move(s), {}}; }
  static RedisReply make_status(std::string s) { return {Type::status, 0, std::move(s), {}}; }
  static RedisReply make_error(std::string s) { return {Type::error, 0, std::move(s), {}}; }
  static RedisReply make_array(std::vector<RedisReply> e) {
    return {Type::array, 0, {}, std::move(e)};
  }
};

struct RedisClientOptions {
  RedisEndpoint endpoint;
  // Connections in the pool; each has its own strand and pipelines its commands, so callers
  // on several threads do not queue behind one socket.
  std::size_t connections = 1;
  // A command without an answer after this long fails with Errc::timeout, and its connection
  // is dropped (failing everything in flight on it) and re-made.
  std::chrono::milliseconds command_timeout{2000};
  // Connecting plus AUTH/SELECT/PING must finish within this, or the attempt is dropped and
  // retried with back-off (a blackholed host would otherwise hang until the kernel gives up).
  std::chrono::milliseconds connect_timeout{2000};
  // Back-off between reconnect attempts: doubles from min to max, with jitter.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
};

using RedisCallback = std::function<void(Result<RedisReply>)>;

// When a command leaves for the socket.
enum class RedisWrite {
  // With the other commands of this loop turn: one write for the turn's whole pipeline.
  with_turn,
  // At once, when the command goes out on the caller's own connection (see the per-context
  // constructor): Redis can start on it while the caller's thread goes on with its turn. For
  // big commands (a group commit's batch), where a write of their own costs little against the
  // work they start; a turn that waits to the end keeps Redis and this thread taking turns.
  now,
};

// RESP framing for RedisClient::command_formatted: an array header for `count` arguments,
// then each argument as a bulk string.
void append_resp_array(std::string& out, std::size_t count);
void append_resp_bulk(std::string& out, std::string_view arg);

// Thread-safe: command(), ready() and stop() may be called from any thread. Callbacks run on
// the strand of the connection that carried the command (a thread running the io_context),
// never inside command() itself.
//
// Errors: a Redis error reply is a value (RedisReply::Type::error); the caller decides what it
// means. Errc::unavailable = not connected (nothing was sent) or the connection broke while the
// command was in flight; Errc::timeout = no answer within command_timeout. In both failure
// cases the command may or may not have run; callers that retry must be idempotent.
//
// Lifetime: destroy the client after stop() has had a chance to run (the io_context still
// running) or after the io_context has stopped for good; callbacks still pending when the
// io_context is destroyed are destroyed without being called, as Asio does with handlers.
class RedisClient {
 public:
  // A pool of options.connections connections on `io` (which any number of threads may run).
  RedisClient(boost::asio::io_context& io, RedisClientOptions options, Logger& log,
              Metrics& metrics);
  // Connections spread over `contexts` (at least one on each, options.connections in all if
  // that is more), for io_contexts that are each run by exactly one thread (HttpServer's
  // contexts()). A command issued on such a thread goes out on that thread's own connection at
  // once, and its callback runs on the same thread: no hand-over between threads.
  RedisClient(std::vector<boost::asio::io_context*> contexts, RedisClientOptions options,
              Logger& log, Metrics& metrics);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Starts connecting every connection of the pool (AUTH, SELECT, PING, then ready).
  void start();
  // Fails everything in flight with Errc::unavailable (each callback exactly once) and closes
  // the connections; later commands fail at once. Asynchronous: returns before that is done.
  void stop();

  // Sends one command (argv form, binary-safe). On a thread that owns connections (see the
  // per-context constructor) one of its own, else round-robin over the ready connections; when
  // none is ready, `done` gets Errc::unavailable (no queueing while disconnected).
  void command(std::vector<std::string> args, RedisCallback done,
               RedisWrite write = RedisWrite::with_turn);
  // The same with the command already in RESP (append_resp_array, append_resp_bulk), for big
  // commands: no vector of argument strings and no formatting pass in hiredis. `resp` must be
  // one whole command and stay unchanged until `done` runs.
  void command_formatted(std::shared_ptr<const std::string> resp, RedisCallback done,
                         RedisWrite write = RedisWrite::with_turn);

  // True when at least one connection has finished its handshake; for /readyz.
  bool ready() const;
  // Number of connections that are ready now.
  std::size_t ready_connections() const;

  const RedisClientOptions& options() const { return options_; }

  class Connection;  // defined in client.cc

 private:
  RedisClient(std::vector<boost::asio::io_context*> contexts, RedisClientOptions options,
              Logger& log, Metrics& metrics, bool single_thread);
  template <class Args>
  void submit_any(Args args, RedisCallback done, RedisWrite write);

  RedisClientOptions options_;
  std::vector<std::shared_ptr<Connection>> connections_;
  // Per single-threaded context, the indexes of its connections; empty for a shared pool.
  std::vector<std::vector<std::size_t>> by_context_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stopped_{false};
};

// Human-readable one-liner for logs and test failures: "OK", "(nil)", "ERR wrong ...", "[3]".
std::string describe(const RedisReply& reply);

}  // namespace omniroute::daemon
