// The waiting side of commands. The pending entry exists before the XADD is sent, so a result
// that comes back faster than the XADD's own reply still finds its waiter.
#include "api/command_bus.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include "common/log.h"
#include "common/ulid.h"
#include "daemon/http/types.h"
#include "daemon/redis/client.h"

namespace omniroute::api {
namespace {

// Bounds the commands stream (docs/commands.md).
constexpr const char* kCommandsMaxlen = "100000";

CommandReply error_reply(int status, std::string_view code, std::string_view message) {
  return CommandReply{status, daemon::json_error(status, code, message).body};
}

}  // namespace

struct CommandBus::Pending {
  explicit Pending(boost::asio::io_context& io, CommandDone d) : timer(io), done(std::move(d)) {}
  boost::asio::steady_timer timer;
  CommandDone done;
};

CommandBus::CommandBus(boost::asio::io_context& io, daemon::RedisClient& redis, const Clock& clock,
                       std::chrono::milliseconds timeout, Logger& log)
    : io_(io), redis_(redis), clock_(clock), log_(log), timeout_(timeout) {}

CommandBus::~CommandBus() {
  std::map<std::string, std::shared_ptr<Pending>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(pending_);
  }
  for (auto& [id, p] : left) {
    p->timer.cancel();
    p->done(error_reply(503, "unavailable", "the server is shutting down"));
  }
}

void CommandBus::set_timeout(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mutex_);
  timeout_ = timeout;
}

std::size_t CommandBus::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

std::shared_ptr<CommandBus::Pending> CommandBus::take(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return nullptr;
  auto p = std::move(it->second);
  pending_.erase(it);
  return p;
}

void CommandBus::submit(const daemon::TenantKeys& keys, const Principal& who,
                        daemon::Command command, CommandDone done) {
  const std::string id = make_ulid(clock_.now_unix_ms());
  auto pending = std::make_shared<Pending>(io_, std::move(done));
  std::chrono::milliseconds timeout;
  {
    std::lock_guard lock(mutex_);
    timeout = timeout_;
    pending_.emplace(id, pending);
  }
  // The router refuses the command after this moment, so a client that got its 504 never sees
  // the command applied later (docs/commands.md).
  command.actor = who.actor();
  command.role = std::string(to_string(who.role));
  command.expires_ms = clock_.now_unix_ms() + timeout.count();
  pending->timer.expires_after(timeout);
  pending->timer.async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) expire(id);
  });
  redis_.command({"XADD", keys.commands(), "MAXLEN", "~", kCommandsMaxlen, "*", "id", id, "c",
                  daemon::serialize_command(command)},
                 [this, id](Result<daemon::RedisReply> reply) {
                   if (reply && !reply->is_error()) return;
                   auto p = take(id);
                   if (!p) return;
                   p->timer.cancel();
                   log_.warn("api command not sent", {{"id", id}});
                   auto r = error_reply(503, "unavailable", "redis is not reachable");
                   p->done(std::move(r));
                 });
}

void CommandBus::resolve(const std::string& id, int status, std::string body) {
  auto p = take(id);
  if (!p) return;
  p->timer.cancel();
  p->done(CommandReply{status, std::move(body)});
}

void CommandBus::expire(const std::string& id) {
  auto p = take(id);
  if (!p) return;
  log_.warn("api command timed out", {{"id", id}});
  p->done(error_reply(504, "timeout",
                      "no active router answered in time (is a router running "
                      "for this tenant?)"));
}

}  // namespace omniroute::api
