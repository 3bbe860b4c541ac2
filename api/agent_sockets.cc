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
  sockets_.emplace(id, Socket{tenant, agent, std::move(channel), expires_ms, false, false, {}});
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

namespace {

bool is_removal(const std::string& kind) {
  return kind == "rejected" || kind == "timed_out" || kind == "returned" || kind == "withdrawn" ||
         kind == "completed" || kind == "transferred" || kind == "overflowed" || kind == "requeued";
}

// Events that change what an agent holds: what a socket's backlog replays after its hello.
bool changes_holdings(const std::string& kind) {
  return kind == "offered" || kind == "accepted" || is_removal(kind);
}

}  // namespace

void AgentSockets::hello(std::uint64_t id, boost::json::array offers, boost::json::array active) {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  Socket& s = it->second;
  auto& h = holdings_[{s.tenant, s.agent}];
  for (const auto& c : offers) h.offered.insert(std::string(c.at("id").as_string()));
  for (const auto& c : active) h.active.insert(std::string(c.at("id").as_string()));
  s.channel->send_text(boost::json::serialize(boost::json::object{{"type", "hello"},
                                                                  {"agent", s.agent},
                                                                  {"offers", std::move(offers)},
                                                                  {"active", std::move(active)}}));
  for (auto& p : s.backlog) {
    if (!p.event) {
      s.channel->send_text(std::move(p.text));
    } else if (auto message = translate(s.agent, h, *p.event)) {
      s.channel->send_text(boost::json::serialize(*message));
    }
  }
  s.backlog.clear();
  s.greeted = true;
}

void AgentSockets::queue_locked(Socket& socket, Pending pending) {
  if (socket.closing) return;
  if (socket.backlog.size() >= kMaxBacklog) {
    socket.closing = true;
    socket.backlog.clear();
    socket.channel->close(1013, "too much happened before the hello; reconnect");
    return;
  }
  socket.backlog.push_back(std::move(pending));
}

void AgentSockets::send_locked(const AgentKey& agent, const std::string& text, bool keep) {
  for (auto& [id, s] : sockets_) {
    if (s.tenant != agent.first || s.agent != agent.second) continue;
    if (s.greeted) {
      s.channel->send_text(text);
    } else if (keep) {
      queue_locked(s, Pending{std::nullopt, text});
    }
  }
}

void AgentSockets::send(const AgentKey& agent, const boost::json::object& message) {
  const std::string text = boost::json::serialize(message);
  std::lock_guard lock(mutex_);
  send_locked(agent, text, true);
}

std::optional<boost::json::object> AgentSockets::translate(const std::string& agent, Holdings& h,
                                                           const v1::AssignmentEvent& e) {
  const std::string kind = kind_name(e.kind());
  const std::string& contact = e.contact_id();
  const bool named = e.agent_id() == agent;
  if (kind == "offered") {
    if (!named || e.offer_expires_unix_ms() == 0) return std::nullopt;
    h.offered.insert(contact);
    return boost::json::object{{"type", "offer"},
                               {"contact", contact_from_event(e)},
                               {"expires_ms", e.offer_expires_unix_ms()}};
  }
  if (kind == "accepted") {  // the offer becomes an assignment, whoever had it
    h.offered.erase(contact);
    h.active.erase(contact);
    if (!named) return std::nullopt;
    h.active.insert(contact);
    return boost::json::object{{"type", "assigned"}, {"contact", contact_from_event(e)}};
  }
  if (kind == "agent_away") {
    if (!named) return std::nullopt;
    return boost::json::object{{"type", "presence"}, {"presence", "away"}, {"reason", e.reason()}};
  }
  if (!is_removal(kind)) return std::nullopt;
  const bool was_offered = h.offered.erase(contact) > 0;
  const bool was_active = !was_offered && h.active.erase(contact) > 0;
  // A transfer straight to an agent names that agent; the previous holder still loses it.
  if (!was_offered && (!was_active || (kind == "transferred" && named))) return std::nullopt;
  if (was_offered) {
    std::string reason = kind == "overflowed" || kind == "requeued" ? "returned" : kind;
    return boost::json::object{
        {"type", "offer_gone"}, {"contact_id", contact}, {"reason", std::move(reason)}};
  }
  if (kind == "completed" || kind == "withdrawn" || kind == "transferred") {
    return boost::json::object{{"type", "closed"}, {"contact_id", contact}, {"reason", kind}};
  }
  return std::nullopt;
}

void AgentSockets::on_event(const std::string& tenant, const v1::AssignmentEvent& e) {
  const std::string kind = kind_name(e.kind());
  if (kind == "message_appended") return on_message_appended(tenant, e);
  // Holdings changes reach sockets without a hello by the replay of their backlog, the rest
  // (presence) as the message itself.
  const bool replayed = changes_holdings(kind);
  std::lock_guard lock(mutex_);
  for (auto& [key, h] : holdings_) {
    if (key.first != tenant) continue;
    if (auto message = translate(key.second, h, e)) {
      send_locked(key, boost::json::serialize(*message), !replayed);
    }
  }
  if (!replayed) return;
  for (auto& [id, s] : sockets_) {
    if (s.tenant != tenant || s.greeted) continue;
    if (kind == "offered" && e.agent_id() != s.agent) continue;  // changes nothing of theirs
    queue_locked(s, Pending{e, {}});
  }
}

void AgentSockets::on_reply(const std::string& tenant, const boost::json::object& line) {
  const auto* agent = line.if_contains("agent");
  const auto* contact = line.if_contains("contact");
  if (!agent || !agent->is_string() || !contact || !contact->is_string()) return;
  send({tenant, std::string(agent->as_string())},
       {{"type", "message"}, {"contact_id", contact->as_string()}, {"message", line}});
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
    boost::json::object message = line ? std::move(*line) : boost::json::object(fallback);
    send({tenant, agent},
         {{"type", "message"}, {"contact_id", contact}, {"message", std::move(message)}});
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
