// The request bodies of the API routes (docs/api.md) as typed structs, each with its strict
// parser. Values the router checks again (queue names, agent ids) are only checked for shape.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "api/json_body.h"

namespace omniroute::api {

// Limits of fields that are neither ids nor texts the router bounds (bodies.cc).
inline constexpr std::size_t kMaxAttributeBytes = 1024;  // one CRM attribute value
inline constexpr std::size_t kMaxIdentityBytes = 320;    // an e-mail address fits

struct AgentPatchBody {                              // PATCH /agents/{agent}
  std::optional<std::map<std::string, int>> skills;  // level 1..5
  std::optional<std::map<std::string, int>> capacity_by_channel;
  std::optional<std::int64_t> total_capacity;
};

struct PresenceBody {    // PUT /agents/{agent}/presence
  std::string presence;  // available | away | offline
  std::string reason;    // required for away
};

struct RejectBody {  // POST /contacts/{contact}/reject
  std::string reason;
};

struct CompleteBody {  // POST /contacts/{contact}/complete
  std::string wrap_up_code;
  std::string note;
};

struct TransferBody {  // POST /contacts/{contact}/transfer: exactly one of queue, agent
  std::string queue;
  std::string agent;
  std::string reason;
};

struct ReplyBody {  // POST /contacts/{contact}/reply
  std::string text;
  std::string client_id;
};

struct CloseBody {  // POST /contacts/{contact}/close
  std::string reason;
};

struct CustomerPatchBody {  // PATCH /customers/{customer}
  std::optional<std::string> tier;
  std::optional<std::map<std::string, std::string>> attributes;
};

struct IdentityBody {
  std::string kind;
  std::string value;
};
struct LinkBody {  // POST /customers/link
  IdentityBody a;
  IdentityBody b;
};

// Each parses `body` (already size-checked and known to be an object).
Result<AgentPatchBody> parse_agent_patch(const boost::json::object& body);
Result<PresenceBody> parse_presence(const boost::json::object& body);
Result<RejectBody> parse_reject(const boost::json::object& body);
Result<CompleteBody> parse_complete(const boost::json::object& body);
Result<TransferBody> parse_transfer(const boost::json::object& body);
Result<ReplyBody> parse_reply(const boost::json::object& body);
Result<CloseBody> parse_close(const boost::json::object& body);
Result<CustomerPatchBody> parse_customer_patch(const boost::json::object& body);
Result<LinkBody> parse_link(const boost::json::object& body);
// Routes without a body accept nothing but an empty body or {}.
Result<void> parse_empty(const boost::json::object& body);

}  // namespace omniroute::api
