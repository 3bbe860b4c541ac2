// Strict, position-tracking reading of YAML files into typed values (omniroute.yaml, rules.yaml,
// behaviour cases): every problem is "<file>:<line>:<col>: <path>: <message>", all are collected.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
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

// 1-based position of a node. yaml-cpp marks are 0-based and -1 when unknown; unknown is 1:1.
struct Position {
  int line = 1;
  int column = 1;
};
Position position_of(const YAML::Mark& mark);

// Collects errors and warnings as "<file>:<line>:<col>: <message>".
class Diagnostics {
 public:
  explicit Diagnostics(std::string file_name) : file_name_(std::move(file_name)) {}

  const std::string& file_name() const { return file_name_; }
  std::string where(const YAML::Mark& mark) const;  // "<file>:<line>:<col>"

  void error(const YAML::Mark& at, std::string_view message);
  void error(Position at, std::string_view message);
  void warning(const YAML::Mark& at, std::string_view message);
  // For values that did not come from the file (command line, environment): "<source>: msg".
  void error_from(std::string_view source, std::string_view message);

  bool has_errors() const { return !errors_.empty(); }
  // In file order (line, then column), then the errors without a position: unknown keys are
  // found when a mapping is finished and cross-references at the end, yet reports read top down.
  std::vector<std::string> errors() const;
  std::vector<std::string> warnings() const;
  // Errc::invalid_input with every error line joined by '\n'.
  Error to_error() const;

 private:
  struct Message {
    Position at;
    std::string text;
  };
  static std::vector<std::string> in_file_order(std::vector<Message> messages);

  std::string file_name_;
  std::vector<Message> errors_;
  std::vector<Message> warnings_;
};

// Parses one document. A syntax error is reported with its position and yields nullopt. An
// empty document is a null node (MapReader reads it as an empty mapping).
std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag);

// "a mapping", "a list", "nothing" or "'text'" (cut at 40 bytes): for "expected X, got Y".
std::string describe(const YAML::Node& node);

// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The one candidate within edit distance 2 of `word`; nullopt on a tie or for words over 64
// bytes (the distance is quadratic and such words are not typos).
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// A string given inline or indirectly: `value`, `{env: NAME}` or `{file: PATH}`. A missing or
// empty variable or an unreadable file is an error at the node. Files lose one trailing
// newline (editors add one). Relative file paths are relative to the working directory.
enum class ValueSource { inline_value, env, file };
struct IndirectString {
  std::string value;
  ValueSource source;
};

// A value with where it came from and how to name it in messages ("queues[1].name").
struct Field {
  YAML::Node node;
  YAML::Mark mark;  // of the value, or of its key when the value is empty
  std::string path;
  Diagnostics* diag = nullptr;

  bool is_null() const { return !node || node.IsNull(); }
  void error(std::string_view message) const;  // "<path>: <message>" at `mark`

  // Conversions report "<path>: expected ..., got ..." and return nullopt on failure. Numbers
  // and booleans must be plain: a quoted "60" is text, the type in the file is what ops wrote.
  std::optional<std::string> scalar() const;  // any scalar, "" included
  std::optional<std::string> string() const;  // a non-empty scalar
  std::optional<std::int64_t> integer(std::int64_t min, std::int64_t max) const;
  std::optional<bool> boolean() const;                          // true | false only
  std::optional<std::int64_t> seconds(std::int64_t min) const;  // a *_secs value, <= 1 year
  std::optional<IndirectString> indirect_string(const EnvLookup& env) const;
  // A scalar or a non-empty list of scalars (a single value stands for a one-item list).
  std::optional<std::vector<std::string>> string_list() const;
  // The same, keeping each item's field so that a bad item is reported where it is written.
  std::vector<std::pair<Field, std::string>> string_items() const;
  // Items of a list (paths "x[0]", ...); anything else, nothing included, is reported.
  std::vector<Field> items() const;
  // Key/value pairs of a free-form mapping (paths "x.key"), in file order. Non-mappings
  // (nothing included), non-scalar keys and duplicate keys are reported and skipped.
  std::vector<std::pair<Field, Field>> entries() const;
};

// The same conversions for a bare node: `what` is the dotted key path ("http.max_body_bytes").
std::optional<std::string> as_string(const YAML::Node& node, const YAML::Mark& at,
                                     std::string_view what, Diagnostics& diag);  // "" allowed
std::optional<bool> as_bool(const YAML::Node& node, const YAML::Mark& at, std::string_view what,
                            Diagnostics& diag);
std::optional<std::int64_t> as_integer(const YAML::Node& node, const YAML::Mark& at,
                                       std::string_view what, std::int64_t min, std::int64_t max,
                                       Diagnostics& diag);
std::optional<IndirectString> as_indirect_string(const YAML::Node& node, const YAML::Mark& at,
                                                 std::string_view what, const EnvLookup& env,
                                                 Diagnostics& diag);

// Where a node is. Null values (`key:` with nothing after it) have no useful mark of their own
// in yaml-cpp, so callers pass the key's mark as the fallback.
YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback = YAML::Mark());

// One YAML mapping read key by key. The known keys are either declared up front (the Field
// constructor: reading another key does not make it known, so a key valid only in some places
// stays an error elsewhere) or learnt as they are read (the node constructor: get/take/read);
// allow() adds one. finish() (or the destructor) reports every other key at its position, with
// a "did you mean" hint. Duplicate keys are reported at once. A node that is not
// a mapping is reported once and then reads nothing; a null node (`http:` with nothing under
// it) is an empty mapping, so its required keys are reported as missing.
class MapReader {
 public:
  MapReader(const Field& map, const std::vector<std::string>& known_keys);
  // `path` is the dotted prefix used in messages ("" at the top, "http", "adapters[0]").
  MapReader(const YAML::Node& node, const YAML::Mark& at, std::string path, Diagnostics& diag);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;
  ~MapReader() { finish(); }

  bool is_mapping() const { return is_mapping_; }
  const Field& self() const { return self_; }
  Diagnostics& diagnostics() const { return *self_.diag; }
  const YAML::Mark& mark() const { return self_.mark; }
  const std::string& path() const { return self_.path; }
  std::string path_of(std::string_view key) const;  // "http.max_body_bytes"

  // The value of `key`; nullopt when absent.
  std::optional<Field> get(std::string_view key) const;
  // Like get(), and reports "<path>: missing required key '<key>'" at the mapping when absent.
  std::optional<Field> require(std::string_view key) const;
  // Declares keys that are read elsewhere (or deliberately ignored) so finish() accepts them.
  void allow(std::string_view key) const;

  // get()/require() with the key's own mark as well, for messages about the key.
  struct Entry {
    YAML::Node value;
    YAML::Mark key_mark;
    YAML::Mark value_mark;  // the key's mark when the value is null
  };
  std::optional<Entry> take(std::string_view key);
  std::optional<Entry> take_required(std::string_view key);

  // Typed reads into a default. Return true when the key was present and valid.
  bool read(std::string_view key, std::string& out);  // "" allowed
  bool read(std::string_view key, bool& out);
  template <class Int>
  requires std::is_integral_v<Int>
  bool read(std::string_view key, Int& out, std::int64_t min, std::int64_t max);
  template <class Duration>
  bool read_duration(std::string_view key, Duration& out, std::int64_t min, std::int64_t max);

  // A nested mapping: `parse` gets a reader for it (defaults stay when the key is absent).
  void section(std::string_view key, const std::function<void(MapReader&)>& parse);
  // A nested list (nothing under the key is an empty list): `each` gets every item with its
  // mark and path ("adapters[2]").
  void list(
      std::string_view key,
      const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each);

  // Reports the unknown keys, once.
  void finish();

 private:
  struct Item {
    std::string key;
    YAML::Mark key_mark;
    Field value;
  };
  void collect(const YAML::Node& node);
  const Item* find(std::string_view key) const;

  Field self_;
  std::vector<Item> items_;
  mutable std::vector<std::string> known_;  // declared or read: reading is not a change
  bool keys_declared_ = false;
  bool is_mapping_ = false;
  bool finished_ = false;
};

template <class Int>
requires std::is_integral_v<Int>
bool MapReader::read(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
  auto field = get(key);
  if (!field) return false;
  auto v = field->integer(min, max);
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
