// Reads and validates a routing rules YAML file (format: docs/routing-rules.md). The file is
// accepted whole or refused whole; every problem is reported as "file:line:col: message".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "routing/rules.h"

namespace omniroute::routing {

inline constexpr std::size_t kMaxRulesFileBytes = 1 << 20;

struct RulesParse {
  std::shared_ptr<const Rules> rules;  // null when there are errors
  std::vector<std::string> errors;     // "file:line:col: message", in file order
};

// `file_name` only labels the messages; `text` is the whole file.
RulesParse parse_rules(std::string_view text, std::string_view file_name);

// Reads the file and parses it; the error message lists every problem, one per line.
Result<std::shared_ptr<const Rules>> load_rules_file(const std::string& path);

}  // namespace omniroute::routing
