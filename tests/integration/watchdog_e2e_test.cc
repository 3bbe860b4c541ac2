// The omniroute binary under a systemd-like supervisor: READY=1 and WATCHDOG=1 arrive on a
// NOTIFY_SOCKET the test binds. States invariant 8: the routers run on a thread of their own, so
// when that thread is stopped (ptrace stops one thread, not the process) webhooks are still
// answered, the watchdog ping is withheld, and pings resume when the thread runs again.
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/one_queue_rules.h"
#include "tests/support/redis_server.h"
#include "tests/support/twilio_signer.h"

using namespace omniroute::testing;

namespace {

constexpr const char* kToken = "test-auth-token";
// 2 s: the daemon counts a loop stuck after 1 s without a heartbeat and checks every 250 ms.
constexpr const char* kWatchdogUsec = "2000000";

const std::string kRules = one_queue_rules();

std::string config_for(const RedisServer& redis, const std::string& rules_path) {
  return "listen: 127.0.0.1:0\n"
         "threads: 2\n"
         "redis:\n"
         "  url: " +
         redis.url() +
         "\n"
         "streams:\n"
         "  prefix: omni\n"
         "routing:\n"
         "  rules_file: " +
         rules_path +
         "\n"
         "  lease_ttl_ms: 6000\n"   // renewed every 2 s: a lease gone at exit was released
         "  claim_idle_ms: 1000\n"  // an entry read before a stall is claimed again soon after
         "adapters:\n"
         "  - name: twilio-demo\n"
         "    vendor: twilio\n"
         "    tenant: demo\n"
         "    path: /webhooks/twilio/demo\n"
         "    settings:\n"
         "      auth_token: {env: TEST_TWILIO_TOKEN}\n";
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling with a deadline
  }
  return true;
}

// What systemd listens on: a unix datagram socket, one sd_notify message per datagram. A thread
// keeps reading, because a full socket queue (net.unix.max_dgram_qlen, 10 by default) would
// block the daemon's sd_notify() as it would with a systemd that stopped reading.
class NotifySocket {
 public:
  NotifySocket() : path_("/tmp/omniroute-notify-" + std::to_string(::getpid()) + ".sock") {
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    reader_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        ::poll(&p, 1, 50);
        std::lock_guard lock(mutex_);
        take_queued();
      }
    });
  }
  ~NotifySocket() {
    stop_ = true;
    reader_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

  // Every datagram so far, up to the last one queued at the time of the call.
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    take_queued();
    return messages_;
  }

  // Waits for a datagram, the `from`th or a later one, that contains `needle`.
  bool wait_for(const std::string& needle, std::size_t from = 0) {
    return eventually([&] {
      const auto all = messages();
      for (auto i = from; i < all.size(); ++i) {
        if (all[i].find(needle) != std::string::npos) return true;
      }
      return false;
    });
  }

 private:
  void take_queued() {
    pollfd p{fd_, POLLIN, 0};
    char buf[4096];
    while (::poll(&p, 1, 0) > 0) {
      const auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }

  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<std::string> messages_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

// The thread id of the daemon's thread named `name` (/proc/<pid>/task/<tid>/comm), or -1.
pid_t thread_named(pid_t pid, const std::string& name) {
  const auto dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  pid_t found = -1;
  while (auto* entry = ::readdir(d)) {
    if (entry->d_name[0] == '.') continue;
    std::string comm;
    std::getline(std::ifstream(dir + "/" + entry->d_name + "/comm"), comm);
    if (comm == name) found = static_cast<pid_t>(std::stol(entry->d_name));
  }
  ::closedir(d);
  return found;
}

// Stops one thread of a child process while the others run on, until destroyed.
class StoppedThread {
 public:
  explicit StoppedThread(pid_t tid) : tid_(tid) {
    REQUIRE(::ptrace(PTRACE_SEIZE, tid_, nullptr, nullptr) == 0);
    REQUIRE(::ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr) == 0);
    int status = 0;
    REQUIRE(::waitpid(tid_, &status, __WALL) == tid_);
    REQUIRE(WIFSTOPPED(status));
  }
  ~StoppedThread() { resume(); }
  void resume() {
    if (tid_ > 0) ::ptrace(PTRACE_DETACH, tid_, nullptr, nullptr);
    tid_ = -1;
  }

 private:
  pid_t tid_;
};

struct Daemon {
  Daemon(const RedisServer& redis, const NotifySocket& notify)
      : config_path(write_temp_file("omniroute.yaml",
                                    config_for(redis, write_temp_file("rules.yaml", kRules)))),
        // WATCHDOG_PID is left unset: sd_watchdog_enabled() then applies the watchdog to
        // whichever process reads WATCHDOG_USEC, here the daemon.
        process({"run", "-c", config_path}, {{"TEST_TWILIO_TOKEN", kToken},
                                             {"NOTIFY_SOCKET", notify.path()},
                                             {"WATCHDOG_USEC", kWatchdogUsec}}) {
    port = static_cast<std::uint16_t>(process.wait_for_port());
    process.wait_for_log("router active");
  }
  int post_sms(const std::string& sid, const std::string& from) {
    auto params = twilio_sms(sid, from, "hello");
    auto url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/twilio/demo";
    HttpConnection conn(port);
    return conn
        .request("POST", "/webhooks/twilio/demo",
                 {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"X-Twilio-Signature", twilio_signature(kToken, url, params)}},
                 form_encode(params))
        .status;
  }
  std::string metrics() { return http_request(port, "GET", "/metrics").body; }
  long long withheld_pings() {
    const std::string name = "omniroute_watchdog_pings_withheld_total ";
    const auto body = metrics();
    const auto at = body.find("\n" + name);
    return at == std::string::npos ? -1 : std::stoll(body.substr(at + 1 + name.size()));
  }
  std::string config_path;
  DaemonProcess process;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("the daemon reports ready, pings the watchdog while every loop beats, and drains") {
  RedisServer redis;
  NotifySocket notify;
  Daemon daemon(redis, notify);

  REQUIRE(notify.wait_for("READY=1"));
  REQUIRE(notify.wait_for("WATCHDOG=1"));
  CHECK(thread_named(daemon.process.pid(), "omni-router") > 0);
  const auto metrics = daemon.metrics();
  for (const char* loop : {"http-0", "http-1", "router"}) {
    CHECK(metrics.find("omniroute_loop_heartbeat_age_ms{loop=\"" + std::string(loop) + "\"}") !=
          std::string::npos);
  }
  CHECK(daemon.withheld_pings() == 0);
  REQUIRE(redis.exists("omni:{demo}:router:lease"));

  daemon.process.signal(SIGTERM);
  REQUIRE(notify.wait_for("STOPPING=1"));
  REQUIRE(daemon.process.wait_exit() == 0);
  CHECK(daemon.process.log().find("\"leases_released\":true") != std::string::npos);
  CHECK_FALSE(redis.exists("omni:{demo}:router:lease"));  // handed over, not left to expire
}

TEST_CASE("a stuck router thread withholds the watchdog ping but not the webhooks") {
  RedisServer redis;
  NotifySocket notify;
  Daemon daemon(redis, notify);
  REQUIRE(notify.wait_for("WATCHDOG=1"));
  const pid_t router_thread = thread_named(daemon.process.pid(), "omni-router");
  REQUIRE(router_thread > 0);
  const auto assignments = redis.xlen("omni:{demo}:assignments");

  StoppedThread stopped(router_thread);
  daemon.process.wait_for_log(R"("msg":"event loop stuck","loop":"router")");
  // The last ping went out before that line was written; none may follow while it is stuck.
  const auto stuck_at = notify.messages().size();
  // Webhooks are answered by the I/O threads: stored, 200, while no router runs.
  CHECK(daemon.post_sms("SMW1", "+15553000001") == 200);
  REQUIRE(eventually([&] { return daemon.withheld_pings() >= 3; }));
  const auto messages = notify.messages();
  for (auto i = stuck_at; i < messages.size(); ++i) {
    CHECK(messages[i].find("WATCHDOG=1") == std::string::npos);
  }
  CHECK(redis.xlen("omni:{demo}:assignments") == assignments);  // nobody routed it yet

  stopped.resume();
  daemon.process.wait_for_log(R"("msg":"event loop running again","loop":"router")");
  REQUIRE(notify.wait_for("WATCHDOG=1", stuck_at));
  // QUEUED, OFFERED, ACCEPTED: the router picks up where it stopped.
  REQUIRE(eventually([&] { return redis.xlen("omni:{demo}:assignments") >= assignments + 3; }));
}
