// An in-memory RoutingStore for tests and `omniroute simulate`: applies every write at once and
// returns a snapshot ordered by id, so two stores with the same content compare equal.
#pragma once

#include <map>
#include <string>

#include "routing/store.h"

namespace omniroute::routing {

class MemoryStore final : public RoutingStore {
 public:
  void save_contact(const ContactRecord& contact) override;
  void erase_contact(std::string_view contact_id) override;
  void save_agent(const AgentRecord& agent) override;
  void save_sticky(const StickyRecord& sticky) override;
  void erase_agent(std::string_view agent_id) override;
  void erase_sticky(std::string_view customer_id) override;
  Result<RoutingSnapshot> load() const override;

  std::size_t writes() const { return writes_; }

 private:
  std::map<std::string, ContactRecord, std::less<>> contacts_;
  std::map<std::string, AgentRecord, std::less<>> agents_;
  std::map<std::string, StickyRecord, std::less<>> sticky_;
  std::size_t writes_ = 0;
};

}  // namespace omniroute::routing
