// Parsing and checking of router commands: strict (unknown keys and wrong types are refused),
// so that a command means exactly one thing to the router that applies it.
#include "daemon/router/command.h"

#include <boost/json.hpp>
#include <set>
#include <vector>

#include "common/strict_json.h"

namespace omniroute::daemon {
namespace json = boost::json;
namespace {

constexpr std::pair<std::string_view, CommandOp> kOps[] = {
    {"presence", CommandOp::presence},
    {"update_agent", CommandOp::update_agent},
    {"accept", CommandOp::accept},
    {"reject", CommandOp::reject},
    {"complete", CommandOp::complete},
    {"transfer", CommandOp::transfer},
    {"reply", CommandOp::reply},
    {"close", CommandOp::close},
    {"reload_rules", CommandOp::reload_rules}};

Error bad(std::string message) {
  return make_error(Errc::invalid_input, std::move(message));
}

// The keys each op takes besides the common ones; `required` must be present.
struct Shape {
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};

Shape shape_of(CommandOp op) {
  switch (op) {
    case CommandOp::presence:
      return {{"agent", "presence"}, {"reason"}};
    case CommandOp::update_agent:
      return {{"agent"}, {"skills", "capacity_by_channel", "total_capacity"}};
    case CommandOp::accept:
      return {{"agent", "contact"}, {}};
    case CommandOp::reject:
      return {{"agent", "contact"}, {"reason"}};
    case CommandOp::complete:
      return {{"agent", "contact"}, {"wrap_up_code", "note"}};
    case CommandOp::transfer:
      return {{"contact"}, {"agent", "queue", "to_agent", "reason"}};
    case CommandOp::reply:
      return {{"agent", "contact", "text"}, {"client_id"}};
    case CommandOp::close:
      return {{"contact"}, {"reason"}};
    case CommandOp::reload_rules:
      return {{}, {}};
  }
  return {};
}

Result<std::string> text_of(const json::object& o, std::string_view key, std::size_t max) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return bad(std::string(key) + ": expected a string");
  if (v->as_string().size() > max) {
    return bad(std::string(key) + ": longer than " + std::to_string(max) + " bytes");
  }
  return std::string(v->as_string());
}

Result<std::map<std::string, int>> levels_of(const json::value& v, std::string_view key, int min,
                                             int max) {
  if (!v.is_object()) return bad(std::string(key) + ": expected an object");
  if (v.as_object().size() > kMaxMapEntries) {
    return bad(std::string(key) + ": more than " + std::to_string(kMaxMapEntries) + " entries");
  }
  std::map<std::string, int> out;
  for (const auto& [k, n] : v.as_object()) {
    if (k.empty() || k.size() > kMaxIdBytes) {
      return bad(std::string(key) + ": names must be 1.." + std::to_string(kMaxIdBytes) + " bytes");
    }
    if (!n.is_int64() || n.as_int64() < min || n.as_int64() > max) {
      return bad(std::string(key) + "." + std::string(k) + ": expected an integer " +
                 std::to_string(min) + ".." + std::to_string(max));
    }
    out[std::string(k)] = static_cast<int>(n.as_int64());
  }
  return out;
}

Result<void> check_keys(const json::object& o, CommandOp op) {
  static const std::set<std::string_view> common{"op", "actor", "role", "expires_ms"};
  const Shape shape = shape_of(op);
  for (const auto& entry : o) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const std::string_view key = entry.key();
    auto in = [&](const auto& v) { return std::find(v.begin(), v.end(), key) != v.end(); };
    if (!common.contains(key) && !in(shape.required) && !in(shape.optional)) {
      return bad("unknown key '" + std::string(key) + "' for op " + std::string(to_string(op)));
    }
  }
  for (auto key : shape.required) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) {
      return bad(std::string(key) + ": required for op " + std::string(to_string(op)));
    }
    // An empty id names nothing; the router would only answer "unknown agent ''" later.
    if (v->is_string() && v->as_string().empty())
      return bad(std::string(key) + ": must not be empty");
  }
  return {};
}

Result<void> read_strings(const json::object& o, Command& c) {
  const std::pair<std::string_view, std::string*> ids[] = {
      {"actor", &c.actor},       {"role", &c.role},           {"agent", &c.agent},
      {"contact", &c.contact},   {"presence", &c.presence},   {"queue", &c.queue},
      {"to_agent", &c.to_agent}, {"client_id", &c.client_id}, {"wrap_up_code", &c.wrap_up_code}};
  for (auto [key, out] : ids) {
    auto v = text_of(o, key, kMaxIdBytes);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  const std::pair<std::string_view, std::string*> texts[] = {
      {"reason", &c.reason}, {"note", &c.note}, {"text", &c.text}};
  for (auto [key, out] : texts) {
    auto v = text_of(o, key, key == "text" ? kMaxReplyBytes : kMaxNoteBytes);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  return {};
}

Result<void> read_agent_fields(const json::object& o, Command& c) {
  if (const auto* v = o.if_contains("skills")) {
    auto m = levels_of(*v, "skills", 1, 5);
    if (!m) return m.error();
    c.skills = std::move(*m);
  }
  if (const auto* v = o.if_contains("capacity_by_channel")) {
    auto m = levels_of(*v, "capacity_by_channel", 0, 1000);
    if (!m) return m.error();
    c.capacity_by_channel = std::move(*m);
  }
  if (const auto* v = o.if_contains("total_capacity")) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 1000) {
      return bad("total_capacity: expected an integer 1..1000");
    }
    c.total_capacity = static_cast<int>(v->as_int64());
  }
  return {};
}

// What the fields must say beyond their types.
Result<void> check_values(const Command& c) {
  if (c.op == CommandOp::presence) {
    if (c.presence != "available" && c.presence != "away" && c.presence != "offline") {
      return bad("presence: expected available, away or offline");
    }
    if (c.presence == "away" && c.reason.empty()) return bad("reason: required for away");
  }
  if (c.op == CommandOp::transfer && c.queue.empty() == c.to_agent.empty()) {
    return bad("transfer: exactly one of queue or to_agent");
  }
  if (c.op == CommandOp::reply && c.text.empty()) return bad("text: must not be empty");
  return {};
}

// Agents act for themselves only; closing a contact and agent changes are supervisors' work,
// reloading the rules an admin's.
Result<void> check_role(const Command& c) {
  if (c.role != "agent" && c.role != "supervisor" && c.role != "admin") {
    return bad("role: expected agent, supervisor or admin");
  }
  if (c.actor.empty()) return bad("actor: required");
  const bool agent = c.role == "agent";
  if (c.op == CommandOp::reload_rules && c.role != "admin") {
    return make_error(Errc::forbidden, "reloading the rules needs the admin role");
  }
  if (agent && (c.op == CommandOp::close || c.op == CommandOp::update_agent)) {
    return make_error(Errc::forbidden, std::string(to_string(c.op)) + " needs a supervisor");
  }
  if (agent && c.agent != c.actor) {
    return make_error(Errc::forbidden,
                      "agent " + c.actor + " cannot act for agent '" + c.agent + "'");
  }
  return {};
}

boost::json::object levels_json(const std::map<std::string, int>& levels) {
  json::object o;
  for (const auto& [name, level] : levels) o[name] = level;
  return o;
}

}  // namespace

std::string serialize_command(const Command& c) {
  json::object o{
      {"op", to_string(c.op)}, {"actor", c.actor}, {"role", c.role}, {"expires_ms", c.expires_ms}};
  const Shape shape = shape_of(c.op);
  const std::pair<std::string_view, const std::string*> texts[] = {
      {"agent", &c.agent},        {"contact", &c.contact},           {"reason", &c.reason},
      {"presence", &c.presence},  {"wrap_up_code", &c.wrap_up_code}, {"note", &c.note},
      {"queue", &c.queue},        {"to_agent", &c.to_agent},         {"text", &c.text},
      {"client_id", &c.client_id}};
  auto in = [](const auto& keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  for (auto [key, value] : texts) {
    if (in(shape.required, key) || (in(shape.optional, key) && !value->empty())) o[key] = *value;
  }
  if (c.op == CommandOp::update_agent) {
    if (c.skills) o["skills"] = levels_json(*c.skills);
    if (c.capacity_by_channel) o["capacity_by_channel"] = levels_json(*c.capacity_by_channel);
    if (c.total_capacity) o["total_capacity"] = *c.total_capacity;
  }
  return json::serialize(o);
}

std::string_view to_string(CommandOp op) {
  for (const auto& [name, value] : kOps) {
    if (value == op) return name;
  }
  return "unknown";
}

Result<Command> parse_command(std::string_view text) {
  auto v = parse_strict_json(text, {.max_bytes = kMaxCommandBytes, .max_depth = kMaxCommandDepth});
  if (!v) return make_error(v.error().code, "the command " + v.error().message);
  if (!v->is_object()) return bad("the command is not a JSON object");
  const json::object& o = v->as_object();
  Command c;
  const auto* op = o.if_contains("op");
  if (op == nullptr || !op->is_string()) return bad("op: required");
  const auto found = std::find_if(std::begin(kOps), std::end(kOps),
                                  [&](const auto& p) { return p.first == op->as_string(); });
  if (found == std::end(kOps)) return bad("op: unknown op '" + std::string(op->as_string()) + "'");
  c.op = found->second;
  const auto* expires = o.if_contains("expires_ms");
  if (expires == nullptr || !expires->is_int64()) return bad("expires_ms: required (unix ms)");
  c.expires_ms = expires->as_int64();
  for (auto step : {check_keys(o, c.op), read_strings(o, c), read_agent_fields(o, c)}) {
    if (!step) return step.error();
  }
  if (auto ok = check_values(c); !ok) return ok.error();
  if (auto ok = check_role(c); !ok) return ok.error();
  return c;
}

}  // namespace omniroute::daemon
