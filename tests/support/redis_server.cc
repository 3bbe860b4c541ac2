// The redis-server test fixture: fork/exec on a free loopback port, PING readiness with a
// deadline, signals for stop/pause, and a synchronous hiredis helper for assertions.
#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

namespace omniroute::testing {
namespace {

namespace fs = std::filesystem;

RedisValue convert(const redisReply& r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::string;
      v.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::status;
      v.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::Type::error;
      v.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::integer;
      v.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::array;
      for (std::size_t i = 0; i < r.elements; ++i) v.elements.push_back(convert(*r.element[i]));
      break;
    default:
      break;
  }
  return v;
}

using ContextPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;

ContextPtr connect(int port, std::chrono::milliseconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", port, tv), &redisFree);
  if (c == nullptr || c->err != 0) return ContextPtr(nullptr, &redisFree);
  redisSetTimeout(c.get(), tv);
  return c;
}

RedisValue run(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (reply == nullptr) {
    throw std::runtime_error("redis helper: " + (args.empty() ? "" : args[0]) +
                             " failed: " + c->errstr);
  }
  RedisValue v = convert(*reply);
  freeReplyObject(reply);
  return v;
}

bool answers_ping(int port, const std::string& password) {
  auto c = connect(port, std::chrono::milliseconds(500));
  if (!c) return false;
  try {
    if (!password.empty() && run(c.get(), {"AUTH", password}).is_error()) return false;
    const RedisValue pong = run(c.get(), {"PING"});
    return pong.str == "PONG";
  } catch (const std::runtime_error&) {
    return false;
  }
}

}  // namespace

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("bind 127.0.0.1:0: " + std::string(std::strerror(errno)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  std::string templ = (fs::temp_directory_path() / "omniroute-test-redis-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  }
  dir_ = templ;
  if (options_.start) start();
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void RedisServer::start() {
  if (pid_ > 0) return;
  const bool first = port_ == 0;
  // A free port can be taken between our probe and redis's bind: on the first start, retry
  // with a fresh port. A restart must keep its port (clients know it), so it gets one try.
  for (int attempt = 0; attempt < (first ? 5 : 1); ++attempt) {
    if (first) port_ = free_loopback_port();
    if (try_start(std::chrono::seconds(10))) return;
  }
  throw std::runtime_error("redis-server did not start on 127.0.0.1:" + std::to_string(port_) +
                           ": " + log_tail());
}

bool RedisServer::try_start(std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   dir_ + "/redis.log"};
  if (!options_.password.empty()) {
    args.insert(args.end(), {"--requirepass", options_.password});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test binary leaves no server behind
    execvp(argv[0], argv.data());
    _exit(127);
  }
  paused_ = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!answers_ping(port_, options_.password)) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // e.g. "Address already in use"
      pid_ = -1;
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // start-up readiness only
  }
  return true;
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  if (paused_) kill(pid_, SIGCONT);  // a stopped process cannot act on SIGTERM
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  paused_ = false;
}

void RedisServer::pause() {
  if (pid_ > 0 && !paused_ && kill(pid_, SIGSTOP) == 0) paused_ = true;
}

void RedisServer::resume() {
  if (pid_ > 0 && paused_ && kill(pid_, SIGCONT) == 0) paused_ = false;
}

std::string RedisServer::url() const {
  const std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + host() + ":" + std::to_string(port_) + "/0";
}

RedisValue RedisServer::command(const std::vector<std::string>& args) const {
  auto c = connect(port_, std::chrono::seconds(5));
  if (!c) throw std::runtime_error("redis helper: cannot connect to port " + std::to_string(port_));
  if (!options_.password.empty()) {
    const RedisValue auth = run(c.get(), {"AUTH", options_.password});
    if (auth.is_error()) throw std::runtime_error("redis helper: AUTH failed: " + auth.str);
  }
  return run(c.get(), args);
}

long long RedisServer::xlen(const std::string& key) const {
  return command({"XLEN", key}).integer;
}

bool RedisServer::exists(const std::string& key) const {
  return command({"EXISTS", key}).integer == 1;
}

long long RedisServer::ttl(const std::string& key) const {
  return command({"TTL", key}).integer;
}

std::string RedisServer::get(const std::string& key) const {
  return command({"GET", key}).str;
}

std::vector<std::string> RedisServer::keys(const std::string& pattern) const {
  std::vector<std::string> out;
  for (const auto& e : command({"KEYS", pattern}).elements) out.push_back(e.str);
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> RedisServer::xrange(
    const std::string& key) const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& entry : command({"XRANGE", key, "-", "+"}).elements) {
    if (entry.elements.size() != 2) continue;
    std::vector<std::string> fields;
    for (const auto& f : entry.elements[1].elements) fields.push_back(f.str);
    out.emplace_back(entry.elements[0].str, std::move(fields));
  }
  return out;
}

void RedisServer::flushall() const {
  command({"FLUSHALL"});
}

std::string RedisServer::log_tail() const {
  std::ifstream in(dir_ + "/redis.log");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text.erase(0, text.size() - 2000);
  return text.empty() ? "(redis log is empty)" : text;
}

}  // namespace omniroute::testing
