// The one command schema between the API and the router (docs/commands.md): the type the API
// fills, its JSON as it travels on `<base>:commands`, and the router's strict parser with the
// checks that need no engine (fields, role, actor). Both sides use this file and nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace omniroute::daemon {

enum class CommandOp {
  presence,
  update_agent,
  accept,
  reject,
  complete,
  transfer,
  reply,
  close,
  reload_rules
};
std::string_view to_string(CommandOp op);

struct Command {
  std::string id;         // field "id" of the entry: the command id the result carries back
  std::string stream_id;  // the entry's id on the commands stream (what is ACKed)
  CommandOp op = CommandOp::accept;
  std::string actor;
  std::string role;  // agent | supervisor | admin
  std::int64_t expires_ms = 0;
  std::string agent;
  std::string contact;
  std::string reason;
  std::string presence;                              // presence: available | away | offline
  std::optional<std::map<std::string, int>> skills;  // update_agent
  std::optional<std::map<std::string, int>> capacity_by_channel;  // update_agent
  std::optional<int> total_capacity;                              // update_agent
  std::string wrap_up_code;                                       // complete
  std::string note;                                               // complete
  std::string queue;                                              // transfer
  std::string to_agent;                                           // transfer
  std::string text;                                               // reply
  std::string client_id;                                          // reply

  bool operator==(const Command&) const = default;
};

// Limits the router enforces again (the API checks first): they bound what one command writes.
inline constexpr std::size_t kMaxReplyBytes = 65536;
inline constexpr std::size_t kMaxNoteBytes = 4096;
inline constexpr std::size_t kMaxIdBytes = 128;
// A whole command: a reply of kMaxReplyBytes escaped as \uXXXX (6 bytes a byte) still fits.
inline constexpr std::size_t kMaxCommandBytes = 512 * 1024;
inline constexpr std::size_t kMaxCommandDepth = 4;  // the command, skills: {name: level}
inline constexpr std::size_t kMaxMapEntries = 64;   // skills, capacity_by_channel

// Reads the command object `c` of an entry. Errc::invalid_input naming the field for an
// unknown op, a missing, repeated or mistyped field, an unknown key, a value over its limit;
// Errc::too_large over kMaxCommandBytes; Errc::forbidden when the role may not do the op or an
// agent names another agent.
Result<Command> parse_command(std::string_view json);

// The JSON of `c` as the API writes it to the stream: op, actor, role, expires_ms and the fields
// its op takes (required ones always, optional ones when set). `id` and `stream_id` travel beside
// it, not in it. parse_command(serialize_command(c)) gives `c` back for any command it accepted.
std::string serialize_command(const Command& c);

}  // namespace omniroute::daemon
