// A real redis-server for integration tests, on a free loopback port, plus a tiny synchronous
// client (hiredis) to set up and inspect its state. No persistence: every test starts empty.
//
// Typical use:
//
//   omniroute::testing::RedisServer redis;           // started and answering PING
//   auto url = redis.url();                          // "redis://127.0.0.1:41234/0"
//   ... run the code under test against url ...
//   CHECK(redis.xlen("omniroute:{acme}:inbound") == 1);
//   redis.stop();  ...  redis.start();               // "Redis went away and came back"
//   redis.pause(); ...  redis.resume();              // "Redis hangs" (SIGSTOP/SIGCONT)
//
// Errors in the fixture itself (no redis-server binary, a server that will not start, a
// helper command on a dead connection) throw std::runtime_error: Catch2 reports them with
// the reason and the tail of redis's log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace omniroute::testing {

// A reply of the synchronous helper: same shape as the daemon's RedisReply, kept separate so
// the fixture does not depend on the code it tests.
struct RedisValue {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string str;  // string, status, error
  std::vector<RedisValue> elements;

  bool is_error() const { return type == Type::error; }
  bool is_nil() const { return type == Type::nil; }
};

struct RedisServerOptions {
  // When set, the server runs with --requirepass and the helper client AUTHs with it; url()
  // then carries it ("redis://:secret@127.0.0.1:port/0").
  std::string password;
  // More redis-server arguments, e.g. {"--maxmemory", "10mb"}.
  std::vector<std::string> extra_args;
  // Start in the constructor (default) or wait for an explicit start().
  bool start = true;
};

class RedisServer {
 public:
  RedisServer() : RedisServer(RedisServerOptions{}) {}
  explicit RedisServer(RedisServerOptions options);
  ~RedisServer();  // SIGKILL if still running, then the temp dir is removed
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts the server and waits (polling PING, with a deadline) until it answers. The first
  // start picks a free port (retrying if another process grabs it first); later starts reuse
  // that port, so clients configured with url() reconnect to the same address.
  void start();
  // SIGTERM and wait for exit. Clients see their connections close.
  void stop();
  // SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing until resumed, which
  // is how tests provoke command timeouts.
  void pause();
  void resume();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  // "redis://[:password@]127.0.0.1:<port>/0", the form daemon config and parse_redis_url take.
  std::string url() const;
  pid_t pid() const { return pid_; }

  // --- synchronous helpers (a fresh connection per call; 5 s timeout) ----------------------
  // Runs one command and returns its reply; Redis error replies are values, not exceptions.
  RedisValue command(const std::vector<std::string>& args) const;
  long long xlen(const std::string& key) const;
  bool exists(const std::string& key) const;
  long long ttl(const std::string& key) const;    // seconds; -1 no expiry, -2 no key
  std::string get(const std::string& key) const;  // "" when missing
  std::vector<std::string> keys(const std::string& pattern = "*") const;
  // Every entry of a stream: {id, {field, value, field, value...}}.
  std::vector<std::pair<std::string, std::vector<std::string>>> xrange(
      const std::string& key) const;
  void flushall() const;

 private:
  bool try_start(std::chrono::milliseconds timeout);
  std::string log_tail() const;

  RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
};

// A free TCP port on 127.0.0.1 at the time of the call (bind to port 0, read it, close).
int free_loopback_port();

// Runs an Asio io_context (any type with run_one_for/stopped/restart) until `done()` holds or
// `timeout` passes, and returns done(). This is how tests wait for async completions without
// sleeping: `REQUIRE(run_until(io, [&] { return client.ready(); }));`
template <class IoContext, class Predicate>
bool run_until(IoContext& io, Predicate done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace omniroute::testing
