// The router's per-entry work: decode the stream entry, resolve the customer, then on the
// strand either join an open conversation or match the rules and enqueue; engine events become
// AssignmentEvents in the same commit.
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include "common/ulid.h"
#include "common/utf8.h"
#include "daemon/router/router_impl.h"
#include "daemon/router/views.h"
#include "routing/matcher.h"

namespace omniroute::daemon {
namespace {

using routing::EventKind;

// History lines keep this much of a message's text (a long e-mail is read in its contact).
constexpr std::size_t kMaxHistoryText = 16384;

v1::AssignmentKind to_kind(EventKind kind) {
  switch (kind) {
    case EventKind::queued:
      return v1::ASSIGNMENT_KIND_QUEUED;
    case EventKind::offered:
      return v1::ASSIGNMENT_KIND_OFFERED;
    case EventKind::accepted:
      return v1::ASSIGNMENT_KIND_ACCEPTED;
    case EventKind::rejected:
      return v1::ASSIGNMENT_KIND_REJECTED;
    case EventKind::timed_out:
      return v1::ASSIGNMENT_KIND_TIMED_OUT;
    case EventKind::returned:
      return v1::ASSIGNMENT_KIND_RETURNED;
    case EventKind::escalated:
      return v1::ASSIGNMENT_KIND_ESCALATED;
    case EventKind::overflowed:
      return v1::ASSIGNMENT_KIND_OVERFLOWED;
    case EventKind::sla_warning:
      return v1::ASSIGNMENT_KIND_SLA_WARNING;
    case EventKind::sla_breached:
      return v1::ASSIGNMENT_KIND_SLA_BREACHED;
    case EventKind::completed:
      return v1::ASSIGNMENT_KIND_COMPLETED;
    case EventKind::agent_set_away:
      return v1::ASSIGNMENT_KIND_AGENT_AWAY;
    default:
      break;  // kinds the engine gained later are mapped by name below
  }
  const auto name = routing::to_string(kind);
  if (name == "requeued") return v1::ASSIGNMENT_KIND_REQUEUED;
  if (name == "withdrawn") return v1::ASSIGNMENT_KIND_WITHDRAWN;
  if (name == "transferred") return v1::ASSIGNMENT_KIND_TRANSFERRED;
  return v1::ASSIGNMENT_KIND_UNSPECIFIED;
}

std::string kind_label(v1::AssignmentKind kind) {
  std::string name = v1::AssignmentKind_Name(kind);
  constexpr std::string_view kPrefix = "ASSIGNMENT_KIND_";
  if (name.starts_with(kPrefix)) name = name.substr(kPrefix.size());
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// What a reply to this message is sent with (OutboundMessage): the addresses, the vendor and its
// message id, the subject; not the text.
std::string encode_route(const v1::ContactEvent& event) {
  v1::ContactEvent route;
  route.set_event_id(event.event_id());
  route.set_channel(event.channel());
  route.set_vendor(event.vendor());
  route.set_vendor_message_id(event.vendor_message_id());
  *route.mutable_sender() = event.sender();
  route.set_recipient(event.recipient());
  route.set_conversation_key(event.conversation_key());
  // An e-mail header line at most, cut on a character boundary: protobuf refuses to parse a
  // string field that is not valid UTF-8, and a reply could never find its route.
  route.set_subject(std::string(utf8_prefix(event.subject(), 998)));
  route.set_received_at_unix_ms(event.received_at_unix_ms());
  return route.SerializeAsString();
}

ResolvedEntry decode(InboundEntry entry) {
  ResolvedEntry r{std::move(entry), std::nullopt, {}, {}, std::nullopt};
  v1::StreamEntry decoded;
  if (!r.entry.payload) {
    r.problem = "stream entry has no 'e' field";
  } else if (!decoded.ParseFromString(*r.entry.payload)) {
    r.problem = "stream entry is not a StreamEntry protobuf";
  } else if (decoded.schema_version() != 1) {
    r.problem = "unknown StreamEntry schema_version " + std::to_string(decoded.schema_version());
  } else if (!decoded.has_contact() || decoded.contact().event_id().empty()) {
    r.problem = "stream entry carries no contact event with an event_id";
  } else {
    r.event = std::move(*decoded.mutable_contact());
  }
  return r;
}

}  // namespace

AssignmentSink::AssignmentSink(std::string tenant, const Clock& clock, Metrics& metrics)
    : tenant_(std::move(tenant)), clock_(clock), metrics_(metrics) {}

v1::AssignmentEvent AssignmentSink::base(v1::AssignmentKind kind,
                                         const routing::ContactRecord* contact,
                                         std::int64_t at_ms) const {
  v1::AssignmentEvent a;
  a.set_schema_version(1);
  a.set_event_id(make_ulid(clock_.now_unix_ms()));
  a.set_tenant(tenant_);
  a.set_kind(kind);
  a.set_at_unix_ms(at_ms);
  a.set_rules_version(rules_version);
  a.set_escalation_step(-1);
  if (contact) {
    a.set_contact_id(contact->id);
    a.set_rule(contact->decision.rule);
    a.set_queue(contact->queue);
    a.set_tier(contact->decision.tier);
    a.set_agent_id(contact->agent);
    a.set_priority(contact->priority);
    a.set_sla_deadline_unix_ms(contact->decision.sla_deadline);
    a.set_customer_id(contact->customer_id);
    a.set_channel(contact->channel);
  }
  if (current) a.set_conversation_key(current->conversation_key());
  return a;
}

void AssignmentSink::count(v1::AssignmentKind kind) {
  metrics_
      .counter("omniroute_router_assignment_events_total",
               "Assignment events appended to the assignments stream, by kind",
               {{"tenant", tenant_}, {"kind", kind_label(kind)}})
      .inc();
  if (kind == v1::ASSIGNMENT_KIND_SLA_BREACHED) {
    metrics_
        .counter("omniroute_router_sla_breaches_total",
                 "Contacts whose first-response deadline passed unanswered", {{"tenant", tenant_}})
        .inc();
  }
}

void AssignmentSink::on_event(const routing::EngineEvent& e) {
  if (extras == nullptr) return;  // restore() emits nothing; anything else is committed
  const routing::ContactRecord* contact = e.contact.empty() ? nullptr : engine->contact(e.contact);
  auto a = base(to_kind(e.kind), contact, e.at_ms);
  if (!e.contact.empty()) a.set_contact_id(e.contact);
  if (!e.queue.empty()) a.set_queue(e.queue);
  a.set_agent_id(e.agent);
  a.set_reason(e.reason);
  a.set_offer_expires_unix_ms(e.expires_ms);
  a.set_escalation_step(e.step);
  a.set_wrap_up_code(e.wrap_up_code);
  a.set_note(e.note);
  a.set_actor(actor);
  count(a.kind());
  if (e.kind == routing::EventKind::sla_breached) ++breached;
  if (e.kind == routing::EventKind::accepted && contact && contact->answered_ms == e.at_ms) {
    // The first answer (a transferred contact accepted again does not count twice).
    const auto deadline = contact->decision.sla_deadline;
    ++(deadline > 0 && e.at_ms > deadline ? answered_late : answered_in_sla);
  }
  auto entry = item(a);
  const bool ended =
      e.kind == routing::EventKind::completed || e.kind == routing::EventKind::withdrawn;
  if (ended && !entry.trail_key.empty()) entry.trail_ttl_ms = trail_ttl_ms;
  extras->assignments.push_back(std::move(entry));
}

CommitExtras::Assignment AssignmentSink::item(const v1::AssignmentEvent& a) const {
  CommitExtras::Assignment out{a.SerializeAsString(), "", 0};
  if (keys != nullptr && !a.contact_id().empty()) out.trail_key = keys->trail(a.contact_id());
  return out;
}

std::unique_ptr<routing::Engine> Router::Impl::make_engine(std::vector<routing::QueueSpec> queues) {
  routing::EngineConfig config;
  config.queues = std::move(queues);
  config.sla_warning_fraction = options.sla_warning_fraction;
  config.completed_retention = options.completed_retention;
  auto e = std::make_unique<routing::Engine>(clock, std::move(config), sink, &store);
  sink.engine = e.get();
  sink.rules_version = rules->version;
  return e;
}

// Agents declared in the rules file exist in every engine, with the file's skills and
// capacities. Presence belongs to the agents (the presence command): only an agent the engine did
// not know yet gets the file's initial_presence, so a reload never signs anyone in.
void Router::Impl::declare_agents() {
  for (const auto& spec : rules->agents) {
    const auto* before = engine->agent(spec.id);
    if (before && before->spec == spec) continue;
    const bool is_new = before == nullptr;
    engine->upsert_agent(spec);
    if (is_new && rules->initially_available.contains(spec.id)) {
      (void)engine->set_presence(spec.id, routing::Presence::available, "initial presence");
    }
  }
}

// Decodes every entry and resolves the customers of the good ones (one script call each, in
// parallel), then applies the whole batch on the strand.
void Router::Impl::resolve_batch(std::vector<InboundEntry> entries) {
  busy = true;
  struct Batch {
    std::vector<ResolvedEntry> items;
    std::size_t waiting = 0;
    bool failed = false;
  };
  auto batch = std::make_shared<Batch>();
  for (auto& e : entries) {
    if (exhausted(e.deliveries)) {  // given up: not decoded, not resolved, dead-lettered
      ResolvedEntry r{std::move(e), std::nullopt, {}, {}, std::nullopt};
      r.exhausted = true;
      r.problem = exhausted_reason({"inbound", r.entry.id}, r.entry.deliveries);
      batch->items.push_back(std::move(r));
      continue;
    }
    batch->items.push_back(decode(std::move(e)));
  }
  const auto sent_epoch = epoch;
  auto finish = [weak = weak_from_this(), batch, sent_epoch](Impl& s) {
    if (s.epoch != sent_epoch || --batch->waiting > 0) return;
    if (batch->failed) {
      s.busy = false;
      if (batch->items.size() == 1) {
        const EntryRef ref{"inbound", batch->items[0].entry.id};
        return s.entry_failed(ref, make_error(Errc::unavailable, "resolving the customer of " +
                                                                     ref.describe() + " failed"));
      }
      return s.recover("resolving customers failed");
    }
    s.apply_batch(std::move(batch->items));
  };
  batch->waiting = 1;  // released below, after every resolve has been sent
  for (auto& item : batch->items) {
    if (!item.event) continue;
    auto identity = normalize_identity(item.event->sender().kind(), item.event->sender().value());
    if (!identity) continue;  // routed without a customer: no threading, no stickiness
    ++batch->waiting;
    identities.resolve(*identity,
                       [weak = weak_from_this(), batch, &item, finish](Result<ResolvedCustomer> r) {
                         auto self = weak.lock();
                         if (!self) return;
                         self->on_strand([batch, &item, finish, r = std::move(r)](Impl& s) mutable {
                           if (!r) {
                             batch->failed = true;
                           } else {
                             item.customer_id = r->customer_id;
                             item.profile_tier = r->profile_tier;
                           }
                           finish(s);
                         });
                       });
  }
  finish(*this);
}

// One entry that throws fails the batch (the engine may hold part of its effect): the router
// rebuilds and claims the batch's entries again one by one, so the others get through.
void Router::Impl::apply_batch(std::vector<ResolvedEntry> batch) {
  CommitExtras extras;
  sink.extras = &extras;
  for (const auto& r : batch) {
    const EntryRef ref{"inbound", r.entry.id};
    if (r.exhausted) {
      dead_letter(
          {r.entry.payload.value_or(""), r.problem, "inbound", r.entry.id, r.entry.deliveries},
          "max_deliveries", extras);
    } else if (auto applied = apply_guarded(ref, [&] { apply_one(r, extras); }); !applied) {
      return entry_failed(ref, applied.error());
    }
    extras.ack_ids.push_back(r.entry.id);
  }
  sink.extras = nullptr;
  sink.current = nullptr;
  commit(std::move(extras), batch.size());
}

void Router::Impl::apply_one(const ResolvedEntry& r, CommitExtras& extras) {
  sink.current = nullptr;
  if (!r.event) {
    dead_letter(
        {r.entry.payload.value_or(""), r.problem, "inbound", r.entry.id, r.entry.deliveries},
        "undecodable", extras);
    return;
  }
  const auto& event = *r.event;
  sink.current = &event;
  if (engine->contact(event.event_id())) return;  // applied before: a replay changes nothing
  const std::string channel(routing::channel_name(event.channel()));
  const auto* open = r.customer_id.empty() ? nullptr : engine->open_contact(r.customer_id, channel);
  if (open) {
    auto a = sink.base(v1::ASSIGNMENT_KIND_MESSAGE_APPENDED, open, clock.now_unix_ms());
    a.set_message_event_id(event.event_id());
    a.set_reason("the customer has an open conversation on this channel");
    sink.count(a.kind());
    auto appended = sink.item(a);
    appended.once_key = keys.routing_applied(event.event_id());
    appended.once_ttl_ms = options.completed_retention.count();
    record_inbound(r, open->id, extras, &appended);
    extras.assignments.push_back(std::move(appended));
    touch_activity(open->id, clock.now_unix_ms());
    return;
  }
  const auto now = clock.now_unix_ms();
  auto decision = routing::match(*rules, event, routing::MatchContext{now, r.profile_tier});
  const auto arrival = event.received_at_unix_ms() > 0 ? event.received_at_unix_ms() : now;
  auto queued = engine->enqueue(event.event_id(), decision, channel, r.customer_id, arrival);
  if (!queued) {
    dead_letter({r.entry.payload.value_or(""), queued.error().message, "inbound", r.entry.id,
                 r.entry.deliveries},
                "unroutable", extras);
    return;
  }
  store.save_match_input(event.event_id(), encode_match_input(event, r.profile_tier, arrival,
                                                              rules->match_text_max_bytes));
  record_inbound(r, event.event_id(), extras, nullptr);
  touch_activity(event.event_id(), now);
  routed.inc();
}

// A message joined `contact`: it becomes the contact's reply route (a reply answers the latest
// message) and a line of the customer's history. `appended`: the line is written with that
// MESSAGE_APPENDED event, under its replay guard.
void Router::Impl::record_inbound(const ResolvedEntry& r, const std::string& contact,
                                  CommitExtras& extras, CommitExtras::Assignment* appended) {
  const auto& event = *r.event;
  extras.routes.emplace_back(contact, encode_route(event));
  if (r.customer_id.empty()) return;
  HistoryLine line;
  line.at_ms = event.received_at_unix_ms() > 0 ? event.received_at_unix_ms() : clock.now_unix_ms();
  line.direction = "in";
  line.channel = std::string(routing::channel_name(event.channel()));
  line.contact = contact;
  line.text = utf8_prefix(event.text().empty() ? event.subject() : event.text(), kMaxHistoryText);
  line.event_id = event.event_id();
  line.attachments = event.attachments_size();
  CommitExtras::History h{keys.history(r.customer_id), boost::json::serialize(history_view(line))};
  if (appended) {
    appended->history = std::move(h);
  } else {
    extras.history.push_back(std::move(h));
  }
}

}  // namespace omniroute::daemon
