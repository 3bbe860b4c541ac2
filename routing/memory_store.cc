// An in-memory RoutingStore: the reference for what the Redis store must return from load().
#include "routing/memory_store.h"

namespace omniroute::routing {

void MemoryStore::save_contact(const ContactRecord& contact) {
  contacts_[contact.id] = contact;
  ++writes_;
}

void MemoryStore::erase_contact(std::string_view contact_id) {
  if (auto it = contacts_.find(contact_id); it != contacts_.end()) contacts_.erase(it);
  ++writes_;
}

void MemoryStore::save_agent(const AgentRecord& agent) {
  agents_[agent.spec.id] = agent;
  ++writes_;
}

void MemoryStore::save_sticky(const StickyRecord& sticky) {
  sticky_[sticky.customer_id] = sticky;
  ++writes_;
}

void MemoryStore::erase_agent(std::string_view agent_id) {
  if (auto it = agents_.find(agent_id); it != agents_.end()) agents_.erase(it);
  ++writes_;
}

void MemoryStore::erase_sticky(std::string_view customer_id) {
  if (auto it = sticky_.find(customer_id); it != sticky_.end()) sticky_.erase(it);
  ++writes_;
}

Result<RoutingSnapshot> MemoryStore::load() const {
  RoutingSnapshot snapshot;
  for (const auto& [id, c] : contacts_) snapshot.contacts.push_back(c);
  for (const auto& [id, a] : agents_) snapshot.agents.push_back(a);
  for (const auto& [id, s] : sticky_) snapshot.sticky.push_back(s);
  return snapshot;
}

}  // namespace omniroute::routing
