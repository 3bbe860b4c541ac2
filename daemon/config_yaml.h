// Typed, strict reading of YAML config files: every error carries <file>:<line>:<col>, all
// errors are collected, unknown keys are refused. Shared by the daemon config and routing rules.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/result.h"

namespace omniroute::yamlcfg {

// Reads one environment variable; injectable so that tests do not touch the process env.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();  // getenv

// Collects errors and warnings as "<file>:<line>:<col>: <message>" (1-based).
class Diagnostics {
 public:
  explicit Diagnostics(std::string file_name) : file_name_(std::move(file_name)) {}

  const std::string& file_name() const { return file_name_; }
  std::string where(const YAML::Mark& mark) const;  // "<file>:<line>:<col>"

  void error(const YAML::Mark& at, std::string_view message);
  void warning(const YAML::Mark& at, std::string_view message);
  // For values that did not come from the file (command line, environment): "<source>: msg".
  void error_from(std::string_view source, std::string_view message);

  bool has_errors() const { return !errors_.empty(); }
  // In file order (line, then column), then the errors without a position.
  std::vector<std::string> errors() const;
  std::vector<std::string> warnings() const;
  // Errc::invalid_input with every error line joined by '\n'.
  Error to_error() const;

 private:
  struct Message {
    int line;  // 0-based as in YAML::Mark; INT_MAX for "not from the file"
    int column;
    std::string text;
  };
  static std::vector<std::string> in_file_order(std::vector<Message> messages);

  std::string file_name_;
  std::vector<Message> errors_;
  std::vector<Message> warnings_;
};

// Where a node is, for messages. Null values (`key:` with nothing after it) have no useful mark
// of their own in yaml-cpp, so callers pass the key's mark as the fallback.
YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback = YAML::Mark());

// Parses a whole document. A syntax error is reported with its position and yields nullopt.
// An empty document is an empty mapping.
std::optional<YAML::Node> parse_document(const std::string& text, Diagnostics& diag);

// "a mapping", "a list", "nothing" or "'text'": how a node is named in "expected X, got Y".
std::string describe(const YAML::Node& node);

// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate within edit distance 2 of `word`, if exactly one closest exists.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// Scalar conversions. Each reports "<what>: expected ..., got ..." at the node and returns
// nullopt on failure; `what` is the dotted key path ("http.max_body_bytes").
std::optional<std::string> as_string(const YAML::Node& node, const YAML::Mark& at,
                                     std::string_view what, Diagnostics& diag);
std::optional<bool> as_bool(const YAML::Node& node, const YAML::Mark& at, std::string_view what,
                            Diagnostics& diag);
std::optional<std::int64_t> as_integer(const YAML::Node& node, const YAML::Mark& at,
                                       std::string_view what, std::int64_t min, std::int64_t max,
                                       Diagnostics& diag);

// A string that may be given inline or indirectly: `value`, `{env: NAME}` or `{file: PATH}`.
// A missing/empty variable or an unreadable file is an error at the node. Files lose one
// trailing newline (editors add one). Relative file paths are relative to the working directory.
enum class ValueSource { inline_value, env, file };
struct IndirectString {
  std::string value;
  ValueSource source;
};
std::optional<IndirectString> as_indirect_string(const YAML::Node& node, const YAML::Mark& at,
                                                 std::string_view what, const EnvLookup& env,
                                                 Diagnostics& diag);

// One YAML mapping read key by key. Reads of absent keys leave the default in place; wrong
// values are reported and also leave it. finish() (or the destructor) reports every key nobody
// asked for, with a "did you mean" hint. A node that is not a mapping is reported once and then
// reads nothing; a null node (`http:` with nothing under it) counts as an empty mapping.
class MapReader {
 public:
  // `path` is the dotted prefix used in messages ("" at the top, "http", "adapters[0]").
  MapReader(const YAML::Node& node, const YAML::Mark& at, std::string path, Diagnostics& diag);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;
  ~MapReader() { finish(); }

  bool is_mapping() const { return is_mapping_; }
  Diagnostics& diagnostics() { return diag_; }
  const YAML::Mark& mark() const { return mark_; }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;  // "http.max_body_bytes"

  // Marks `key` as known and returns its entry; nullopt when absent.
  struct Entry {
    YAML::Node value;
    YAML::Mark key_mark;
    YAML::Mark value_mark;  // the key's mark when the value is null
  };
  std::optional<Entry> take(std::string_view key);
  // Like take(), and reports "missing required key" at the mapping when absent.
  std::optional<Entry> take_required(std::string_view key);
  // Declares keys that are read elsewhere (or deliberately ignored) so finish() accepts them.
  void allow(std::string_view key);

  // Typed reads. Return true when the key was present and valid.
  bool read(std::string_view key, std::string& out);
  bool read(std::string_view key, bool& out);
  template <class Int>
  requires std::is_integral_v<Int>
  bool read(std::string_view key, Int& out, std::int64_t min, std::int64_t max);
  template <class Duration>
  bool read_duration(std::string_view key, Duration& out, std::int64_t min, std::int64_t max);

  // A nested mapping: `parse` gets a reader for it (defaults stay when the key is absent).
  void section(std::string_view key, const std::function<void(MapReader&)>& parse);
  // A nested list: `each` gets every item with its mark and path ("adapters[2]").
  void list(
      std::string_view key,
      const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each);

  // Unknown keys, once.
  void finish();

 private:
  struct Item {
    std::string key;
    Entry entry;
    bool used = false;
  };
  std::vector<Item> items_;
  std::vector<std::string> allowed_;
  YAML::Mark mark_;
  std::string path_;
  Diagnostics& diag_;
  bool is_mapping_ = false;
  bool finished_ = false;
};

template <class Int>
requires std::is_integral_v<Int>
bool MapReader::read(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
  auto entry = take(key);
  if (!entry) return false;
  auto v = as_integer(entry->value, entry->value_mark, path_of(key), min, max, diag_);
  if (!v) return false;
  out = static_cast<Int>(*v);
  return true;
}

template <class Duration>
bool MapReader::read_duration(std::string_view key, Duration& out, std::int64_t min,
                              std::int64_t max) {
  typename Duration::rep count = out.count();
  if (!read(key, count, min, max)) return false;
  out = Duration(count);
  return true;
}

// Calls `each(item, item_mark, item_path)` for every element of a list; a null node is an empty
// list; anything else is reported.
void for_each_item(
    const YAML::Node& node, const YAML::Mark& at, const std::string& path, Diagnostics& diag,
    const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each);

}  // namespace omniroute::yamlcfg
