// Event → message mapping. The holder of a contact is taken from what the agent's sockets were
// told (hello plus events), so "offer gone" and "closed" reach the agent that had the contact
// whatever agent the event itself names.
#include "api/agent_sockets.h"

#include <boost/json/serialize.hpp>

#include "api/views.h"

namespace omniroute::api {

AgentSockets::AgentSockets(const Clock& clock, MessageLookup lookup)
    : clock_(clock), lookup_(std::move(lookup)) {}

std::uint64_t AgentSockets::add(const std::string& tenant, const std::string& agent,
                                std::shared_ptr<daemon::WebSocketChannel> channel,
                                std::optional<std::int64_t> expires_ms) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  sockets_.emplace(id, Socket{tenant, agent, std::move(channel), expires_ms});
  holdings_.try_emplace({tenant, agent});
  return id;
}

void AgentSockets::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  AgentKey key{it->second.tenant, it->second.agent};
  sockets_.erase(it);
  for (const auto& [other, s] : sockets_) {
    if (s.tenant == key.first && s.agent == key.second) return;
  }
  holdings_.erase(key);  // its last socket: nobody needs its holdings any more
}

void AgentSockets::hello(std::uint64_t id, boost::json::array offers, boost::json::array active) {
  std::shared_ptr<daemon::WebSocketChannel> channel;
  boost::json::object message;
  {
    std::lock_guard lock(mutex_);
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    auto& h = holdings_[{it->second.tenant, it->second.agent}];
    for (const auto& c : offers) h.offered.insert(std::string(c.at("id").as_string()));
    for (const auto& c : active) h.active.insert(std::string(c.at("id").as_string()));
    channel = it->second.channel;
    message = {{"type", "hello"},
               {"agent", it->second.agent},
               {"offers", std::move(offers)},
               {"active", std::move(active)}};
  }
  channel->send_text(boost::json::serialize(message));
}

void AgentSockets::send(const AgentKey& agent, const boost::json::object& message) {
  const std::string text = boost::json::serialize(message);
  std::vector<std::shared_ptr<daemon::WebSocketChannel>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : sockets_) {
      if (s.tenant == agent.first && s.agent == agent.second) targets.push_back(s.channel);
    }
  }
  for (auto& t : targets) t->send_text(text);
}

std::optional<std::string> AgentSockets::holder(const std::string& tenant,
                                                const std::string& contact, bool* was_offered) {
  std::lock_guard lock(mutex_);
  for (auto& [key, h] : holdings_) {
    if (key.first != tenant) continue;
    if (h.offered.erase(contact) > 0) {
      *was_offered = true;
      return key.second;
    }
    if (h.active.erase(contact) > 0) {
      *was_offered = false;
      return key.second;
    }
  }
  return std::nullopt;
}

void AgentSockets::on_event(const std::string& tenant, const v1::AssignmentEvent& e) {
  const std::string kind = kind_name(e.kind());
  const std::string& contact = e.contact_id();
  if (kind == "offered" && e.offer_expires_unix_ms() != 0) {
    {
      std::lock_guard lock(mutex_);
      auto it = holdings_.find({tenant, e.agent_id()});
      if (it == holdings_.end()) return;
      it->second.offered.insert(contact);
    }
    return send({tenant, e.agent_id()}, {{"type", "offer"},
                                         {"contact", contact_from_event(e)},
                                         {"expires_ms", e.offer_expires_unix_ms()}});
  }
  if (kind == "accepted") {
    bool was_offered = false;
    holder(tenant, contact, &was_offered);  // the offer becomes an assignment
    {
      std::lock_guard lock(mutex_);
      auto it = holdings_.find({tenant, e.agent_id()});
      if (it == holdings_.end()) return;
      it->second.active.insert(contact);
    }
    return send({tenant, e.agent_id()}, {{"type", "assigned"}, {"contact", contact_from_event(e)}});
  }
  if (kind == "message_appended") return on_message_appended(tenant, e);
  if (kind == "agent_away") {
    return send({tenant, e.agent_id()},
                {{"type", "presence"}, {"presence", "away"}, {"reason", e.reason()}});
  }
  if (kind == "rejected" || kind == "timed_out" || kind == "returned" || kind == "withdrawn" ||
      kind == "completed" || kind == "transferred" || kind == "overflowed" || kind == "requeued") {
    bool was_offered = false;
    auto agent = holder(tenant, contact, &was_offered);
    if (!agent) return;
    // A transfer straight to an agent names that agent; the previous holder still loses it.
    if (kind == "transferred" && *agent == e.agent_id() && !was_offered) return;
    if (was_offered) {
      std::string reason = kind == "overflowed" || kind == "requeued" ? "returned" : kind;
      return send({tenant, *agent},
                  {{"type", "offer_gone"}, {"contact_id", contact}, {"reason", reason}});
    }
    if (kind == "completed" || kind == "withdrawn" || kind == "transferred") {
      return send({tenant, *agent},
                  {{"type", "closed"}, {"contact_id", contact}, {"reason", kind}});
    }
  }
}

void AgentSockets::on_message_appended(const std::string& tenant, const v1::AssignmentEvent& e) {
  std::string agent;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, h] : holdings_) {
      if (key.first == tenant && h.active.count(e.contact_id())) agent = key.second;
    }
  }
  if (agent.empty()) return;
  boost::json::object fallback{{"event_id", e.message_event_id()},
                               {"at_ms", e.at_unix_ms()},
                               {"direction", "in"},
                               {"channel", e.channel()},
                               {"contact", e.contact_id()}};
  auto deliver = [this, tenant, agent, contact = e.contact_id(),
                  fallback](std::optional<boost::json::object> line) {
    send({tenant, agent}, {{"type", "message"},
                           {"contact_id", contact},
                           {"message", line ? std::move(*line) : fallback}});
  };
  if (!lookup_) return deliver(std::nullopt);
  lookup_(tenant, e.customer_id(), e.message_event_id(), std::move(deliver));
}

std::size_t AgentSockets::close_expired() {
  const auto now = clock_.now_unix_ms();
  std::vector<std::shared_ptr<daemon::WebSocketChannel>> expired;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : sockets_) {
      if (s.expires_ms && *s.expires_ms <= now) expired.push_back(s.channel);
    }
  }
  // on_close then removes them; closing twice is ignored by the channel.
  for (auto& c : expired) c->close(4001, "token expired");
  return expired.size();
}

void AgentSockets::close_all() {
  std::vector<std::shared_ptr<daemon::WebSocketChannel>> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : sockets_) all.push_back(s.channel);
  }
  for (auto& c : all) c->close(1001, "server going away");
}

std::size_t AgentSockets::size() const {
  std::lock_guard lock(mutex_);
  return sockets_.size();
}

}  // namespace omniroute::api
