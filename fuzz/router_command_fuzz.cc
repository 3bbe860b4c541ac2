// Fuzz target for the router's command parser (daemon/router/command.h): any bytes are a command
// or a clean refusal. An accepted command has only its op's keys, values within the limits, a
// role allowed to do it, and it reads back the same from its own serialization.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/router/command.h"

using namespace omniroute;
using namespace omniroute::daemon;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

// The keys docs/commands.md gives each op, besides op, actor, role and expires_ms.
std::vector<std::string_view> keys_of(CommandOp op) {
  switch (op) {
    case CommandOp::presence:
      return {"agent", "presence", "reason"};
    case CommandOp::update_agent:
      return {"agent", "skills", "capacity_by_channel", "total_capacity"};
    case CommandOp::accept:
      return {"agent", "contact"};
    case CommandOp::reject:
      return {"agent", "contact", "reason"};
    case CommandOp::complete:
      return {"agent", "contact", "wrap_up_code", "note"};
    case CommandOp::transfer:
      return {"contact", "agent", "queue", "to_agent", "reason"};
    case CommandOp::reply:
      return {"agent", "contact", "text", "client_id"};
    case CommandOp::close:
      return {"contact", "reason"};
    case CommandOp::reload_rules:
      return {};
  }
  return {};
}

void check_levels(const std::optional<std::map<std::string, int>>& m, int min, int max) {
  if (!m) return;
  require(m->size() <= kMaxMapEntries);
  for (const auto& [name, n] : *m) {
    require(!name.empty() && name.size() <= kMaxIdBytes && n >= min && n <= max);
  }
}

void check(const Command& c, const boost::json::object& o) {
  const auto allowed = keys_of(c.op);
  for (const auto& entry : o) {
    const auto k = entry.key();
    const bool common = k == "op" || k == "actor" || k == "role" || k == "expires_ms";
    require(common || std::find(allowed.begin(), allowed.end(), k) != allowed.end());
  }
  for (const auto* id : {&c.actor, &c.agent, &c.contact, &c.presence, &c.queue, &c.to_agent,
                         &c.client_id, &c.wrap_up_code}) {
    require(id->size() <= kMaxIdBytes);
  }
  require(c.reason.size() <= kMaxNoteBytes && c.note.size() <= kMaxNoteBytes);
  require(c.text.size() <= kMaxReplyBytes);
  check_levels(c.skills, 1, 5);
  check_levels(c.capacity_by_channel, 0, 1000);
  require(!c.total_capacity || (*c.total_capacity >= 1 && *c.total_capacity <= 1000));
  // The role checks: agents act for themselves, and only on their own work.
  require(!c.actor.empty());
  require(c.role == "agent" || c.role == "supervisor" || c.role == "admin");
  if (c.role == "agent") {
    require(c.agent == c.actor);
    require(c.op != CommandOp::close && c.op != CommandOp::update_agent);
  }
  require(c.op != CommandOp::reload_rules || c.role == "admin");
  if (c.op == CommandOp::transfer) require(c.queue.empty() != c.to_agent.empty());
  if (c.op == CommandOp::reply) require(!c.text.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto command = parse_command(text);
  if (!command) {
    const auto code = command.error().code;
    require(code == Errc::invalid_input || code == Errc::forbidden ||
            (code == Errc::too_large && size > kMaxCommandBytes));
    return 0;
  }
  require(size <= kMaxCommandBytes);
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  require(!ec && value.is_object());
  check(*command, value.as_object());
  // The schema's own writer: what the API sends must read back as the same command.
  auto again = parse_command(serialize_command(*command));
  require(again.has_value() && *again == *command);
  return 0;
}
