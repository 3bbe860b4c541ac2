// Rules reload in the router (invariant 6): waiting contacts are matched again under the new
// rules from the match inputs stored beside their records, and moved through Engine::reconfigure
// in one fenced commit; queues the new rules removed live on as retired queues until empty.
#include <boost/json.hpp>
#include <set>

#include "common/utf8.h"
#include "daemon/router/router_impl.h"
#include "routing/matcher.h"

namespace omniroute::daemon {

// The fields routing::match() reads, nothing more: channel, sender, recipient, language,
// attributes, subject and text (capped at the rules' scan limit), and the arrival, so that the
// SLA deadline computed again is the same. First line: "T<tier>" or "-" (the profile tier).
std::string encode_match_input(const v1::ContactEvent& event,
                               const std::optional<std::string>& tier,
                               routing::TimePoint arrival_ms, std::size_t text_cap) {
  v1::ContactEvent kept;
  kept.set_event_id(event.event_id());
  kept.set_channel(event.channel());
  *kept.mutable_sender() = event.sender();
  kept.set_recipient(event.recipient());
  kept.set_language(event.language());
  *kept.mutable_attributes() = event.attributes();
  // Cut on a character boundary: protobuf strings must stay valid UTF-8.
  kept.set_subject(std::string(utf8_prefix(event.subject(), text_cap)));
  kept.set_text(std::string(utf8_prefix(event.text(), text_cap)));
  kept.set_received_at_unix_ms(arrival_ms);
  return (tier ? "T" + *tier : std::string("-")) + "\n" + kept.SerializeAsString();
}

std::optional<MatchInput> decode_match_input(std::string_view text) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos || newline == 0) return std::nullopt;
  MatchInput input;
  if (text[0] == 'T') input.profile_tier = std::string(text.substr(1, newline - 1));
  const auto bytes = text.substr(newline + 1);
  if (!input.event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return std::nullopt;
  }
  return input;
}

// The rules' queue specs, plus a stand-in spec for every queue the records still name that the
// rules no longer have (removed while their contacts were offered or active, or while no router
// ran). Its settings are the defaults: the removed spec is gone with the old file.
std::vector<routing::QueueSpec> Router::Impl::queue_specs(
    const routing::RoutingSnapshot* snapshot) const {
  std::vector<routing::QueueSpec> specs;
  std::set<std::string> names;
  for (const auto& q : rules->queues) {
    specs.push_back(q.spec);
    names.insert(q.spec.name);
  }
  if (!snapshot) return specs;
  for (const auto& c : snapshot->contacts) {
    if (c.status == routing::ContactStatus::completed || names.contains(c.queue)) continue;
    routing::QueueSpec retired;
    retired.name = c.queue;
    names.insert(c.queue);
    specs.push_back(std::move(retired));
    log.warn("restoring a queue the rules no longer declare (retired until empty)",
             {{"tenant", options.tenant}, {"queue", c.queue}});
  }
  return specs;
}

// Reads the match inputs of every waiting contact, then reconfigures on the strand. Nothing
// else runs meanwhile (busy), so the set of waiting contacts cannot change under us.
void Router::Impl::reload() {
  reconfigure_due = false;
  busy = true;
  std::vector<std::string> ids;
  for (const auto* c : engine->waiting_contacts()) ids.push_back(c->id);
  const auto sent_epoch = epoch;
  store.load_match_inputs(ids, [weak = weak_from_this(), sent_epoch, ids](auto inputs) mutable {
    auto self = weak.lock();
    if (!self) return;
    self->on_strand([sent_epoch, ids = std::move(ids), inputs = std::move(inputs)](Impl& s) {
      if (s.epoch != sent_epoch || s.state != RouterState::active) return;
      s.busy = false;
      if (!inputs) return s.recover("reading match inputs: " + inputs.error().message);
      std::map<std::string, MatchInput> by_id;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!(*inputs)[i]) continue;
        if (auto input = decode_match_input(*(*inputs)[i])) by_id.emplace(ids[i], *input);
      }
      s.apply_reload(by_id);
    });
  });
}

void Router::Impl::apply_reload(const std::map<std::string, MatchInput>& inputs) {
  const auto now = clock.now_unix_ms();
  auto rematch = [&](const routing::ContactRecord& c) -> std::optional<routing::RoutingDecision> {
    auto it = inputs.find(c.id);
    if (it == inputs.end()) return std::nullopt;  // no input kept: it keeps its decision
    return routing::match(*rules, it->second.event,
                          routing::MatchContext{now, it->second.profile_tier});
  };
  CommitExtras extras;
  sink.extras = &extras;
  sink.rules_version = rules->version;
  auto report = engine->reconfigure(queue_specs(nullptr), rematch);
  if (!report) {
    log.warn("re-evaluating waiting contacts failed; they keep their decisions",
             {{"tenant", options.tenant}, {"reason", report.error().message}});
    report = engine->reconfigure(queue_specs(nullptr));
  }
  if (report) {
    log.info("rules applied", {{"tenant", options.tenant},
                               {"rules_version", rules->version},
                               {"requeued", report->requeued.size()},
                               {"retired_queues", report->retired_queues.size()}});
  } else {
    log.error("rules could not be applied to the engine",
              {{"tenant", options.tenant}, {"reason", report.error().message}});
  }
  declare_agents();
  sync_hours();  // the new rules may have other hours or other queues
  sink.extras = nullptr;
  extras.rules = rules_info();
  if (reload_command) {  // a reload_rules command: its answer is this commit
    extras.command_acks.push_back(reload_command->entry.stream_id);
    const boost::json::object body{{"version", extras.rules->version},
                                   {"loaded_ms", extras.rules->loaded_ms},
                                   {"instance", extras.rules->instance}};
    finish_command(*reload_command, {200, boost::json::serialize(body)}, extras);
    reload_command.reset();
  }
  commit(std::move(extras), 0);
}

}  // namespace omniroute::daemon
