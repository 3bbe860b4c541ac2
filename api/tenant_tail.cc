// The tail loop: results from a moment before the tail was made, assignments from their last id
// (XREVRANGE), then XREAD BLOCK from those cursors for ever.
// Redis errors retry after a pause with the same cursors, so nothing in between is skipped
// (within the streams' MAXLEN).
#include "api/tenant_tail.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>

#include "common/log.h"
#include "common/metrics.h"

namespace omniroute::api {

using daemon::RedisReply;

// The callbacks hold the Impl weakly: the Redis connection keeps a pending callback until its
// io_context runs the shutdown, and a strong reference there would make a cycle (Impl → client →
// connection → callback → Impl) that outlives a tail whose io_context stopped first (found by
// LeakSanitizer in the API tests).
struct TenantTail::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, TailOptions o, daemon::TenantKeys k, TailSinks s, Logger& l)
      : options(std::move(o)),
        keys(std::move(k)),
        sinks(std::move(s)),
        log(l),
        redis(io, client_options(options), l, metrics),
        timer(io),
        results_cursor(results_start_id()) {}

  // A command's result must never be missed, however late the first XREAD runs: a command sent
  // before the tail's first read (under load, or at start before /readyz) would otherwise have
  // its result land before the cursor. Results are read from a little before the tail existed,
  // by the id Redis gives entries (its clock, in ms); the margin covers clock skew between this
  // host and Redis. Older results read this way match no pending command and are ignored.
  static std::string results_start_id() {
    constexpr std::int64_t kSkewMarginMs = 30000;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return std::to_string(std::max<std::int64_t>(0, now_ms - kSkewMarginMs)) + "-0";
  }

  static daemon::RedisClientOptions client_options(const TailOptions& o) {
    auto r = o.redis;
    r.connections = 1;
    // A blocked XREAD is not a slow command: allow it its block time on top.
    r.command_timeout = r.command_timeout + o.block;
    return r;
  }

  std::string results_key() const { return keys.results(); }
  std::string assignments_key() const { return keys.assignments(); }

  void init();
  void read();
  void retry(void (Impl::*step)());
  void dispatch(const RedisReply& reply);
  void dispatch_result(const RedisReply& fields);

  TailOptions options;
  daemon::TenantKeys keys;
  TailSinks sinks;
  Logger& log;
  Metrics metrics;  // the tail's own connection stats stay out of /metrics
  daemon::RedisClient redis;
  boost::asio::steady_timer timer;
  std::string results_cursor;
  std::string assignments_cursor = "0-0";
  std::atomic<bool> ready{false};
  std::atomic<bool> stopped{false};
};

namespace {

// The id of the last entry of an XREVRANGE ... COUNT 1 reply, or "0-0" for an empty stream.
std::string last_id(const RedisReply& reply) {
  if (reply.is_array() && !reply.elements.empty() && reply.elements[0].is_array() &&
      !reply.elements[0].elements.empty()) {
    return reply.elements[0].elements[0].str;
  }
  return "0-0";
}

const std::string* field(const RedisReply& fields, std::string_view name) {
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    if (fields.elements[i].str == name) return &fields.elements[i + 1].str;
  }
  return nullptr;
}

}  // namespace

void TenantTail::Impl::retry(void (Impl::*step)()) {
  if (stopped) return;
  timer.expires_after(options.retry);
  timer.async_wait([weak = weak_from_this(), step](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (self && !ec && !self->stopped) ((*self).*step)();
  });
}

// Assignments feed the agents' sockets with live events only: from the last one on.
void TenantTail::Impl::init() {
  redis.command({"XREVRANGE", assignments_key(), "+", "-", "COUNT", "1"},
                [weak = weak_from_this()](Result<RedisReply> r) {
                  auto self = weak.lock();
                  if (!self) return;
                  if (!r || r->is_error()) return self->retry(&Impl::init);
                  self->assignments_cursor = last_id(*r);
                  self->ready = true;
                  self->read();
                });
}

void TenantTail::Impl::read() {
  if (stopped) return;
  redis.command(
      {"XREAD", "COUNT", "100", "BLOCK", std::to_string(options.block.count()), "STREAMS",
       results_key(), assignments_key(), results_cursor, assignments_cursor},
      [weak = weak_from_this()](Result<RedisReply> r) {
        auto self = weak.lock();
        if (!self) return;
        if (!r || r->is_error()) {
          if (!self->stopped) {
            self->log.warn("api tail read failed, retrying", {{"tenant", self->keys.tenant()}});
          }
          return self->retry(&Impl::read);
        }
        self->dispatch(*r);
        self->read();
      });
}

// Reply: nil on timeout, else [[stream, [[id, [field, value...]]...]]...].
void TenantTail::Impl::dispatch(const RedisReply& reply) {
  if (!reply.is_array()) return;
  for (const auto& stream : reply.elements) {
    if (!stream.is_array() || stream.elements.size() != 2) continue;
    const bool results = stream.elements[0].str == results_key();
    for (const auto& entry : stream.elements[1].elements) {
      if (entry.elements.size() != 2) continue;
      (results ? results_cursor : assignments_cursor) = entry.elements[0].str;
      if (results) {
        dispatch_result(entry.elements[1]);
      } else if (const auto* e = field(entry.elements[1], "e"); e && sinks.on_assignment) {
        sinks.on_assignment(*e);
      }
    }
  }
}

void TenantTail::Impl::dispatch_result(const RedisReply& fields) {
  const auto* id = field(fields, "id");
  const auto* status = field(fields, "status");
  const auto* body = field(fields, "body");
  int code = 0;
  if (!id || !status || !body ||
      std::from_chars(status->data(), status->data() + status->size(), code).ec != std::errc()) {
    log.warn("api tail: malformed result entry", {{"tenant", keys.tenant()}});
    return;
  }
  if (sinks.on_result) sinks.on_result(*id, code, *body);
}

TenantTail::TenantTail(boost::asio::io_context& io, TailOptions options, daemon::TenantKeys keys,
                       TailSinks sinks, Logger& log)
    : impl_(
          std::make_shared<Impl>(io, std::move(options), std::move(keys), std::move(sinks), log)) {}

TenantTail::~TenantTail() {
  stop();
}

void TenantTail::start() {
  impl_->redis.start();
  impl_->init();
}

void TenantTail::stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->timer.cancel();
  impl_->redis.stop();
}

bool TenantTail::initialised() const {
  return impl_->ready.load();
}

const daemon::TenantKeys& TenantTail::keys() const {
  return impl_->keys;
}

}  // namespace omniroute::api
