// A private redis-server child for the zero-config default: listens only on a unix socket in a
// private runtime dir, keeps an append-only file in the data dir, and dies with the daemon.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace omniroute {
class Logger;
}  // namespace omniroute

namespace omniroute::daemon {

struct EmbeddedRedisOptions {
  // The server binary: a path, or a name looked up in PATH.
  std::string redis_server = "redis-server";
  // Where appendonly data lives (created if missing). Empty: inside the private runtime dir,
  // i.e. nothing survives a restart; fine for trials, not for production.
  std::string data_dir;
  // How long start-up may take before it counts as failed (AOF replay of a big file is slow).
  std::chrono::milliseconds startup_timeout{15000};
};

// Start-up code: the constructor throws std::runtime_error with the reason (and the tail of
// redis's own log) when the server cannot be started or does not answer PING in time.
//
// The child gets PR_SET_PDEATHSIG=SIGTERM: it is told to stop when the *thread* that
// constructed this object exits, so construct it on the main thread.
class EmbeddedRedis {
 public:
  explicit EmbeddedRedis(EmbeddedRedisOptions options, Logger* log = nullptr);
  ~EmbeddedRedis();  // SIGTERM, wait (SIGKILL after 10 s), remove the runtime dir
  EmbeddedRedis(const EmbeddedRedis&) = delete;
  EmbeddedRedis& operator=(const EmbeddedRedis&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  // "unix:///run/user/1000/omniroute-redis-abc123/redis.sock", for parse_redis_url.
  std::string url() const { return "unix://" + socket_path_; }
  pid_t pid() const { return pid_; }
  const std::string& runtime_dir() const { return runtime_dir_; }

 private:
  void spawn(const EmbeddedRedisOptions& options, const std::string& data_dir);
  void wait_until_answering(std::chrono::milliseconds timeout);
  void terminate();
  std::string log_tail() const;

  Logger* log_;
  std::string runtime_dir_;
  std::string socket_path_;
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace omniroute::daemon
