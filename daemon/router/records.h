// The router's records (contact, agent, sticky) as JSON, the form they have in the tenant's
// routing hashes (docs/redis-layout.md). Part of the router's contract with api/, which reads
// the hashes directly: one writer and one reader, here.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "routing/store.h"

namespace omniroute::daemon {

std::string contact_to_json(const routing::ContactRecord& contact);
std::string agent_to_json(const routing::AgentRecord& agent);
std::string sticky_to_json(const routing::StickyRecord& sticky);
Result<routing::ContactRecord> contact_from_json(std::string_view text);
Result<routing::AgentRecord> agent_from_json(std::string_view text);
Result<routing::StickyRecord> sticky_from_json(std::string_view text);

}  // namespace omniroute::daemon
