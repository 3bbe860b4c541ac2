// Runs redis-server as a child: fork, PR_SET_PDEATHSIG, exec; then PING over the unix socket
// until it answers. Only start-up and shutdown run here, so blocking calls are fine.
#include "daemon/redis/embedded.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/log.h"

namespace omniroute::daemon {
namespace {

namespace fs = std::filesystem;

std::string make_runtime_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string base = (xdg != nullptr && *xdg != '\0' && fs::is_directory(xdg)) ? xdg : "/tmp";
  std::string templ = base + "/omniroute-redis-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {  // mode 0700: only we can reach the socket
    throw std::runtime_error("embedded redis: cannot create a runtime dir under " + base + ": " +
                             std::strerror(errno));
  }
  return templ;
}

// PATH lookup before fork: execvp is not async-signal-safe, execv is.
std::string resolve_binary(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error("embedded redis: '" + name +
                           "' not found in PATH; install redis-server or configure redis.url");
}

bool answers_ping(const std::string& socket_path) {
  const timeval timeout{1, 0};
  redisContext* c = redisConnectUnixWithTimeout(socket_path.c_str(), timeout);
  bool ok = false;
  if (c != nullptr && c->err == 0) {
    redisSetTimeout(c, timeout);
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS && std::string(reply->str) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
  }
  if (c != nullptr) redisFree(c);
  return ok;
}

}  // namespace

EmbeddedRedis::EmbeddedRedis(EmbeddedRedisOptions options, Logger* log) : log_(log) {
  runtime_dir_ = make_runtime_dir();
  socket_path_ = runtime_dir_ + "/redis.sock";
  log_path_ = runtime_dir_ + "/redis.log";
  try {
    if (socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
      throw std::runtime_error("embedded redis: socket path too long: " + socket_path_);
    }
    const std::string data_dir = options.data_dir.empty() ? runtime_dir_ : options.data_dir;
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    if (ec) {
      throw std::runtime_error("embedded redis: cannot create data dir " + data_dir + ": " +
                               ec.message());
    }
    spawn(options, data_dir);
    wait_until_answering(options.startup_timeout);
  } catch (...) {
    terminate();
    throw;
  }
  if (log_ != nullptr) {
    log_->info("embedded redis started",
               {{"socket", socket_path_}, {"pid", static_cast<std::int64_t>(pid_)}});
  }
}

EmbeddedRedis::~EmbeddedRedis() {
  terminate();
  if (log_ != nullptr) log_->info("embedded redis stopped", {{"socket", socket_path_}});
}

void EmbeddedRedis::spawn(const EmbeddedRedisOptions& options, const std::string& data_dir) {
  const std::string binary = resolve_binary(options.redis_server);
  // Built before fork: between fork and exec the child may only make async-signal-safe calls.
  std::vector<std::string> args = {binary,       "--port",           "0",      "--unixsocket",
                                   socket_path_, "--unixsocketperm", "700",    "--dir",
                                   data_dir,     "--appendonly",     "yes",    "--appendfsync",
                                   "everysec",   "--save",           "",       "--daemonize",
                                   "no",         "--logfile",        log_path_};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("embedded redis: fork: ") + strerror(errno));
  if (pid_ == 0) {
    // The kernel sends SIGTERM when our parent thread dies; if it already died, stop now.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
}

void EmbeddedRedis::wait_until_answering(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!answers_ping(socket_path_)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("embedded redis exited during start-up (status " +
                               std::to_string(status) + "): " + log_tail());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("embedded redis did not answer PING within " +
                               std::to_string(timeout.count()) + " ms: " + log_tail());
    }
    // Start-up readiness is the one place a poll interval is right: nothing to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void EmbeddedRedis::terminate() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }
  std::error_code ec;
  if (!runtime_dir_.empty()) fs::remove_all(runtime_dir_, ec);
}

std::string EmbeddedRedis::log_tail() const {
  std::ifstream in(log_path_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text.erase(0, text.size() - 2000);
  return text.empty() ? "(redis log is empty)" : text;
}

}  // namespace omniroute::daemon
