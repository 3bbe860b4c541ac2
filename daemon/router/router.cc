// The router role's lifecycle: the lease with its fencing token, the rebuild from Redis on
// acquiring it, and the single-writer loop on one strand (read → apply → commit+ACK → read).
#include "daemon/router/router.h"

#include <boost/asio/post.hpp>

#include "common/ulid.h"
#include "daemon/router/router_impl.h"

namespace omniroute::daemon {
namespace {

// KEYS: lease, fence. ARGV: instance, ttl ms. A new holder gets a new, higher token.
constexpr const char* kAcquireScript = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
)lua";

// KEYS: lease, fence. ARGV: instance, ttl ms, token. Extends only our own, current lease.
constexpr const char* kRenewScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua";

// KEYS: lease. ARGV: instance. Graceful stop: hand over at once instead of after the TTL.
constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// KEYS: the streams the router reads. ARGV: group. Creates the group on each (at id 0, with
// MKSTREAM: entries written before any router existed are read too); an existing one is fine.
constexpr const char* kGroupsScript = R"lua(
for _, key in ipairs(KEYS) do
  local r = redis.pcall('XGROUP', 'CREATE', key, ARGV[1], '0', 'MKSTREAM')
  if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP') then return r end
end
return 'OK'
)lua";

// KEYS: a stream. ARGV: group, consumer, min idle ms, cursor, count. XAUTOCLAIM (which adds one
// to each claimed entry's delivery count), plus those counts from XPENDING:
// {next cursor, entries, counts}.
constexpr const char* kClaimScript = R"lua(
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local counts = {}
for i, e in ipairs(r[2]) do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
  counts[i] = p[1] and p[1][4] or 1
end
return {r[1], r[2], counts}
)lua";

RedisClientOptions one_connection(RedisClientOptions o, std::chrono::milliseconds extra) {
  o.connections = 1;
  o.command_timeout += extra;
  return o;
}

std::chrono::milliseconds at_least(std::chrono::milliseconds v, std::chrono::milliseconds min) {
  return v < min ? min : v;
}

}  // namespace

std::vector<InboundEntry> parse_entries(const RedisReply& list) {
  std::vector<InboundEntry> out;
  if (!list.is_array()) return out;
  for (const auto& item : list.elements) {
    if (!item.is_array() || item.elements.size() < 2 || !item.elements[0].is_string()) continue;
    InboundEntry entry{item.elements[0].str, std::nullopt};
    const auto& fields = item.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "e") entry.payload = fields[i + 1].str;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

Router::Impl::Impl(boost::asio::io_context& io_, RouterOptions options_,
                   std::shared_ptr<const routing::Rules> rules_, const Clock& clock_, Logger& log_,
                   Metrics& metrics_)
    : io(io_),
      strand(boost::asio::make_strand(io_)),
      options(std::move(options_)),
      keys(TenantKeys::make(options.prefix, options.tenant).value()),
      instance(options.consumer + ":" + make_ulid(clock_.now_unix_ms())),
      rules(std::move(rules_)),
      clock(clock_),
      log(log_),
      metrics(metrics_),
      reader(io_, one_connection(options.redis, options.block), log_, metrics_),
      writer(io_, one_connection(options.redis, {}), log_, metrics_),
      identities(writer, keys, clock_),
      store(writer, keys, RoutingRedisStoreOptions{"router", options.assignments_maxlen}),
      sink(options.tenant, clock_, metrics_),
      lease_timer(strand),
      engine_timer(strand),
      claim_timer(strand),
      retry_timer(strand),
      hours_timer(strand),
      stats_timer(strand),
      lease_gauge(metrics_.gauge("omniroute_router_lease_active",
                                 "1 while this instance holds the tenant's router lease",
                                 {{"tenant", options.tenant}})),
      routed(metrics_.counter("omniroute_router_contacts_routed_total",
                              "New contacts matched by the rules and queued",
                              {{"tenant", options.tenant}})),
      commit_failures(metrics_.counter("omniroute_router_commit_failures_total",
                                       "Commits that failed (the router rebuilds from Redis)",
                                       {{"tenant", options.tenant}})) {}

void Router::Impl::start() {
  reader.start();
  writer.start();
  log.info("router standby", {{"tenant", options.tenant}, {"instance", instance}});
  sink.keys = &keys;
  sink.trail_ttl_ms = options.completed_retention.count();
  register_dead_letter_counters();
  on_strand([](Impl& self) {
    self.lease_tick();
    self.arm_claim_timer();
    self.arm_stats_timer();
  });
}

void Router::Impl::stop() {
  on_strand([](Impl& self) {
    const bool held = self.state == RouterState::active || self.state == RouterState::rebuilding;
    self.state = RouterState::stopped;
    self.engine.reset();
    ++self.epoch;
    self.lease_gauge.set(0);
    for (auto* t : {&self.lease_timer, &self.engine_timer, &self.claim_timer, &self.retry_timer,
                    &self.hours_timer, &self.stats_timer}) {
      t->cancel();
    }
    auto close = [weak = self.weak_from_this()](Result<RedisReply>) {
      if (auto s = weak.lock()) {
        s->reader.stop();
        s->writer.stop();
      }
    };
    if (!held) return close(RedisReply::nil());
    self.writer.command({"EVAL", kReleaseScript, "1", self.keys.router_lease(), self.instance},
                        close);
  });
}

// Every ttl/3: a standby tries to take the lease, the holder extends it.
void Router::Impl::lease_tick() {
  if (state == RouterState::stopped) return;
  if (state == RouterState::standby) {
    try_acquire();
  } else {
    renew();
  }
  lease_timer.expires_after(at_least(options.lease_ttl / 3, std::chrono::milliseconds(20)));
  lease_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && !ec) self->lease_tick();
  });
}

void Router::Impl::try_acquire() {
  writer.command({"EVAL", kAcquireScript, "2", keys.router_lease(), keys.router_fence(), instance,
                  std::to_string(options.lease_ttl.count())},
                 [weak = weak_from_this()](Result<RedisReply> reply) {
                   auto self = weak.lock();
                   if (!self || !reply || !reply->is_integer() || reply->integer <= 0) return;
                   self->on_strand([t = reply->integer](Impl& s) { s.become_leader(t); });
                 });
}

void Router::Impl::renew() {
  const auto sent_epoch = epoch;
  writer.command(
      {"EVAL", kRenewScript, "2", keys.router_lease(), keys.router_fence(), instance,
       std::to_string(options.lease_ttl.count()), std::to_string(fence.token)},
      [weak = weak_from_this(), sent_epoch](Result<RedisReply> reply) {
        auto self = weak.lock();
        if (!self) return;
        self->on_strand([sent_epoch, reply = std::move(reply)](Impl& s) {
          if (s.epoch != sent_epoch || s.state == RouterState::standby ||
              s.state == RouterState::stopped) {
            return;
          }
          if (reply && reply->is_integer() && reply->integer == 1) {
            s.last_renewed = std::chrono::steady_clock::now();
          } else if (reply && reply->is_integer()) {
            s.lose_lease("the lease is held by another instance");
          } else if (std::chrono::steady_clock::now() - s.last_renewed > s.options.lease_ttl) {
            s.lose_lease("could not renew the lease within its ttl");
          }
        });
      });
}

// Memory is only an index over Redis: without the lease it is dropped, and rebuilt on the
// next acquisition.
void Router::Impl::lose_lease(const std::string& why) {
  if (state == RouterState::stopped) return;
  log.warn("router lease lost, standing by", {{"tenant", options.tenant}, {"reason", why}});
  state = RouterState::standby;
  engine.reset();
  stash.clear();
  command_stash.clear();
  reload_command.reset();
  store.discard();
  ++epoch;
  token = 0;
  fence = {};
  busy = false;
  lease_gauge.set(0);
  engine_timer.cancel();
  hours_timer.cancel();
}

void Router::Impl::become_leader(std::int64_t new_token) {
  if (state != RouterState::standby) return;
  fence = Fence{instance, new_token};
  token = new_token;
  last_renewed = std::chrono::steady_clock::now();
  lease_gauge.set(1);
  log.info("router lease acquired, rebuilding from redis",
           {{"tenant", options.tenant}, {"instance", instance}, {"fencing_token", new_token}});
  rebuild();
}

// Group first (MKSTREAM at id 0: entries written before any router existed are routed too),
// then the snapshot, then everything pending in the group is claimed regardless of idle time:
// we hold the lease, so whoever read those entries cannot commit them any more.
void Router::Impl::rebuild() {
  state = RouterState::rebuilding;
  engine.reset();
  store.discard();
  busy = true;
  const auto sent_epoch = ++epoch;
  writer.command(
      {"EVAL", kGroupsScript, "2", keys.inbound(), keys.commands(), "router"},
      [weak = weak_from_this(), sent_epoch](Result<RedisReply> group) {
        auto self = weak.lock();
        if (!self) return;
        if (!group || group->is_error()) {
          auto why = group ? group->str : group.error().message;
          return self->on_strand([why](Impl& s) { s.recover("consumer group: " + why); });
        }
        self->store.load_snapshot([weak, sent_epoch](Result<routing::RoutingSnapshot> snap) {
          auto s = weak.lock();
          if (!s) return;
          // We hold the lease: nobody writes between the two reads.
          s->store.load_activity([weak, sent_epoch, snap = std::move(snap)](auto activity) mutable {
            auto s2 = weak.lock();
            if (!s2) return;
            s2->on_strand([sent_epoch, snap = std::move(snap),
                           activity = std::move(activity)](Impl& me) mutable {
              if (me.epoch == sent_epoch && me.state == RouterState::rebuilding) {
                me.on_snapshot(std::move(snap), std::move(activity));
              }
            });
          });
        });
      });
}

void Router::Impl::on_snapshot(Result<routing::RoutingSnapshot> snapshot,
                               Result<std::map<std::string, routing::TimePoint>> activity) {
  busy = false;
  if (!snapshot) return recover("loading the routing state: " + snapshot.error().message);
  if (!activity) return recover("loading contact activity: " + activity.error().message);
  engine = make_engine(queue_specs(&*snapshot));
  if (auto restored = engine->restore(*snapshot); !restored) {
    return recover("restoring the routing state: " + restored.error().message);
  }
  log.info("router active", {{"tenant", options.tenant},
                             {"contacts", snapshot->contacts.size()},
                             {"agents", snapshot->agents.size()}});
  state = RouterState::active;
  // Rules may have changed while nobody held the lease: re-evaluate the waiting contacts (a
  // no-op when the rules are the same) and let emptied retired queues go.
  reconfigure_due = true;
  claim_cursor = "0-0";
  claim_stream = 0;
  claim_min_idle = std::chrono::milliseconds(0);
  claim_due = true;
  CommitExtras extras;
  sink.extras = &extras;
  declare_agents();
  restore_idle(*snapshot, *activity);
  sync_hours();
  close_idle();
  engine->on_time();  // what fell due while nobody held the lease
  sink.extras = nullptr;
  commit(std::move(extras), 0);
}

// A failed commit leaves Redis and memory possibly apart; Redis wins. Retried with a pause
// while Redis is unreachable; the lease renewal decides whether we are still the writer.
void Router::Impl::recover(const std::string& why) {
  if (state == RouterState::stopped || state == RouterState::standby) return;
  commit_failures.inc();
  log.warn("router rebuilding from redis", {{"tenant", options.tenant}, {"reason", why}});
  state = RouterState::rebuilding;
  engine.reset();
  store.discard();
  // Whatever was read and not applied is still pending in the groups: the rebuild claims it.
  stash.clear();
  command_stash.clear();
  reload_command.reset();
  busy = true;
  const auto sent_epoch = ++epoch;
  retry_timer.expires_after(std::chrono::milliseconds(200));
  retry_timer.async_wait(
      [weak = weak_from_this(), sent_epoch](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (self && !ec && self->epoch == sent_epoch && self->state == RouterState::rebuilding) {
          self->rebuild();
        }
      });
}

// The scheduler: one writer-side step at a time, in this order of preference.
void Router::Impl::pump() {
  if (state != RouterState::active || busy) return;
  if (reconfigure_due) return reload();
  if (timers_due) {
    timers_due = false;
    CommitExtras extras;
    sink.extras = &extras;
    sync_hours();
    close_idle();
    engine->on_time();
    sink.extras = nullptr;
    if (store.buffered() > 0 || !extras.empty()) return commit(std::move(extras), 0);
  }
  if (stats_due) {
    stats_due = false;
    CommitExtras extras;
    sample_stats(extras);
    return commit(std::move(extras), 0);
  }
  // Commands before inbound entries: an agent waits for each answer.
  if (!command_stash.empty()) return take_commands();
  if (!stash.empty()) {
    // An entry delivered before (claimed: its last try failed, or its reader died) goes alone,
    // so that if it fails again it takes no other entry with it.
    std::vector<InboundEntry> batch;
    while (!stash.empty() && batch.size() < options.batch) {
      const bool alone = stash.front().deliveries > 1;
      if (alone && !batch.empty()) break;
      batch.push_back(std::move(stash.front()));
      stash.pop_front();
      if (alone) break;
    }
    return resolve_batch(std::move(batch));
  }
  if (claim_due) return claim_more();
  if (!reading) read_more();
}

void Router::Impl::read_more() {
  reading = true;
  reader.command({"XREADGROUP", "GROUP", "router", options.consumer, "COUNT",
                  std::to_string(options.batch), "BLOCK", std::to_string(options.block.count()),
                  "STREAMS", keys.inbound(), keys.commands(), ">", ">"},
                 [weak = weak_from_this()](Result<RedisReply> reply) {
                   auto self = weak.lock();
                   if (!self) return;
                   self->on_strand([reply = std::move(reply)](Impl& s) {
                     s.reading = false;
                     if (reply && reply->is_array()) {
                       for (const auto& stream : reply->elements) {
                         if (stream.elements.size() < 2) continue;
                         s.stash_entries(stream.elements[0].str == s.keys.commands(),
                                         stream.elements[1]);
                       }
                     } else if (reply && reply->is_error() && reply->str.starts_with("NOGROUP")) {
                       return s.recover("the consumer group disappeared");
                     }
                     // Errors other than these: Redis is away; the next read retries, and
                     // the lease decides whether we are still active.
                     if (s.state != RouterState::active) {
                       if (s.state == RouterState::standby) s.stash.clear();
                       return;
                     }
                     if (!reply) {
                       s.retry_timer.expires_after(std::chrono::milliseconds(200));
                       s.retry_timer.async_wait([w = s.weak_from_this()](auto ec) {
                         if (auto me = w.lock(); me && !ec) me->pump();
                       });
                       return;
                     }
                     s.pump();
                   });
                 });
}

// XAUTOCLAIM pages through the whole pending list, ONE entry per page, and each is applied
// before the next is claimed: only an entry actually tried again gets one more delivery, so a
// poison entry reaches max_deliveries while those pending behind it keep their count.
void Router::Impl::claim_more() {
  busy = true;
  const auto sent_epoch = epoch;
  const bool commands = claim_stream == 1;
  writer.command({"EVAL", kClaimScript, "1", commands ? keys.commands() : keys.inbound(), "router",
                  options.consumer, std::to_string(claim_min_idle.count()), claim_cursor, "1"},
                 [weak = weak_from_this(), sent_epoch, commands](Result<RedisReply> reply) {
                   auto self = weak.lock();
                   if (!self) return;
                   self->on_strand([sent_epoch, commands, reply = std::move(reply)](Impl& s) {
                     if (s.epoch != sent_epoch) return;
                     s.busy = false;
                     if (!reply || !reply->is_array() || reply->elements.size() < 3) {
                       return s.recover("claiming pending entries: " +
                                        (reply ? describe(*reply) : reply.error().message));
                     }
                     s.claim_cursor = reply->elements[0].str;
                     if (s.claim_cursor == "0-0") {
                       // The inbound stream is done; then the commands stream, then nothing.
                       s.claim_stream = commands ? 0 : 1;
                       s.claim_due = !commands;
                     }
                     s.stash_entries(commands, reply->elements[1], &reply->elements[2]);
                     s.pump();
                   });
                 });
}

void Router::Impl::stash_entries(bool commands, const RedisReply& list,
                                 const RedisReply* deliveries) {
  // parse_*_entries skip malformed items; the counts follow the entries by id.
  std::map<std::string, std::int64_t> counts;
  if (deliveries && list.is_array()) {
    for (std::size_t i = 0; i < list.elements.size() && i < deliveries->elements.size(); ++i) {
      const auto& item = list.elements[i];
      if (!item.is_array() || item.elements.empty()) continue;
      counts[item.elements[0].str] = std::max<std::int64_t>(1, deliveries->elements[i].integer);
    }
  }
  auto count_of = [&](const std::string& id) {
    const auto it = counts.find(id);
    return it == counts.end() ? std::int64_t{1} : it->second;
  };
  if (commands) {
    for (auto& e : parse_command_entries(list)) {
      e.deliveries = count_of(e.stream_id);
      command_stash.push_back(std::move(e));
    }
  } else {
    for (auto& e : parse_entries(list)) {
      e.deliveries = count_of(e.id);
      stash.push_back(std::move(e));
    }
  }
}

void Router::Impl::commit(CommitExtras extras, std::size_t entries) {
  busy = true;
  const auto sent_epoch = epoch;
  // A commit of one entry alone that fails is that entry's failure (its dead letter's reason).
  std::optional<EntryRef> sole;
  if (extras.ack_ids.size() == 1 && extras.command_acks.empty()) {
    sole = EntryRef{"inbound", extras.ack_ids[0]};
  } else if (extras.command_acks.size() == 1 && extras.ack_ids.empty()) {
    sole = EntryRef{"commands", extras.command_acks[0]};
  }
  store.commit(fence, std::move(extras),
               [weak = weak_from_this(), sent_epoch, entries, sole](Result<void> done) {
                 auto self = weak.lock();
                 if (!self) return;
                 self->on_strand([sent_epoch, entries, sole, done = std::move(done)](Impl& s) {
                   if (s.epoch != sent_epoch) return;
                   s.busy = false;
                   if (!done && done.error().code == Errc::conflict) {
                     return s.lose_lease(done.error().message);
                   }
                   if (!done && sole) {
                     return s.entry_failed(
                         *sole,
                         make_error(done.error().code, "committing " + sole->describe() +
                                                           " failed: " + done.error().message));
                   }
                   if (!done) return s.recover(done.error().message);
                   if (sole) s.last_failure.erase(sole->key());
                   s.committed += entries;
                   s.arm_engine_timer();
                   s.pump();
                 });
               });
}

// One timer at the engine's next deadline. Capped so a clock that jumps is noticed soon.
void Router::Impl::arm_engine_timer() {
  engine_timer.cancel();
  if (!engine) return;
  auto due = engine->next_due();
  if (auto idle = next_idle_close(); idle && (!due || *idle < *due)) due = idle;
  if (!due) return;
  auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, *due - clock.now_unix_ms()));
  engine_timer.expires_after(std::min(delay, std::chrono::milliseconds(60000)));
  engine_timer.async_wait(
      [weak = weak_from_this(), sent_epoch = epoch](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!self || ec || self->epoch != sent_epoch) return;
        self->timers_due = true;
        self->pump();
      });
}

// Entries left pending by a consumer that died are claimed once idle for claim_idle.
void Router::Impl::arm_claim_timer() {
  claim_timer.expires_after(at_least(options.claim_idle / 2, std::chrono::milliseconds(50)));
  claim_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->state == RouterState::stopped) return;
    if (self->state == RouterState::active && !self->claim_due) {
      self->claim_due = true;
      self->claim_cursor = "0-0";
      self->claim_stream = 0;
      self->claim_min_idle = self->options.claim_idle;
      self->pump();
    }
    self->arm_claim_timer();
  });
}

// ---- the public face ------------------------------------------------------------------------

Router::Router(boost::asio::io_context& io, RouterOptions options,
               std::shared_ptr<const routing::Rules> rules, const Clock& clock, Logger& log,
               Metrics& metrics)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(rules), clock, log, metrics)) {
}

Router::~Router() = default;

void Router::start() {
  impl_->start();
}

void Router::stop() {
  impl_->stop();
}

void Router::set_rules(std::shared_ptr<const routing::Rules> rules) {
  impl_->on_strand([rules = std::move(rules)](Impl& s) {
    s.rules = rules;
    if (s.state == RouterState::active || s.state == RouterState::rebuilding) {
      s.reconfigure_due = true;
      s.pump();
    }
  });
}

void Router::run_timers() {
  impl_->on_strand([](Impl& s) {
    s.timers_due = true;
    s.pump();
  });
}

RouterState Router::state() const {
  return impl_->state.load();
}

std::int64_t Router::fencing_token() const {
  return impl_->token.load();
}

std::uint64_t Router::committed_entries() const {
  return impl_->committed.load();
}

const std::string& Router::instance_id() const {
  return impl_->instance;
}

}  // namespace omniroute::daemon
