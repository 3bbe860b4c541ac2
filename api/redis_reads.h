// Internal to api/: reads of the router's records straight from Redis, so any instance can
// answer them (docs/commands.md, "What the router's commit maintains for readers").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/views.h"
#include "common/result.h"
#include "daemon/redis/client.h"
#include "daemon/redis/keys.h"
#include "routing/store.h"

namespace omniroute::api {

struct RoutingState {
  std::vector<routing::ContactRecord> contacts;
  std::vector<routing::AgentRecord> agents;  // sorted by id
};

// One Redis command; a transport failure or an error reply becomes an Error (503/500).
void redis_call(daemon::RedisClient& redis, std::vector<std::string> args,
                std::function<void(Result<daemon::RedisReply>)> done);

// Every contact and agent record of the tenant (two HGETALLs). Records that do not parse are
// skipped: one corrupt record must not hide the others.
void load_routing_state(daemon::RedisClient& redis, const daemon::TenantKeys& keys,
                        std::function<void(Result<RoutingState>)> done);

// One contact record; nullopt when there is none.
void load_contact(daemon::RedisClient& redis, const daemon::TenantKeys& keys,
                  const std::string& contact_id,
                  std::function<void(Result<std::optional<routing::ContactRecord>>)> done);

// A flat [k, v, k, v] reply as a map.
std::map<std::string, std::string> as_map(const daemon::RedisReply& reply);

}  // namespace omniroute::api
