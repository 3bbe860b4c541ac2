// Strict, position-tracking reading of YAML into typed values: every problem becomes
// "<file>:<line>:<col>: <path>: <message>", all are collected, unknown keys are refused.
// Self-contained (only yaml-cpp) so that it can move to common/ later.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omniroute::yamlread {

// 1-based position of a node; line 0 when unknown.
struct Position {
  int line = 0;
  int column = 0;
};
Position position_of(const YAML::Mark& mark);

class Diagnostics {
 public:
  explicit Diagnostics(std::string file_name) : file_name_(std::move(file_name)) {}
  void error(const YAML::Mark& at, std::string_view message);
  void error(Position at, std::string_view message);
  bool has_errors() const { return !errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& file_name() const { return file_name_; }

 private:
  std::string file_name_;
  std::vector<std::string> errors_;
};

// Parses one document; a syntax error is reported with its position and yields nullopt.
std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag);

// "a mapping", "a list", "nothing", "the text 'abc'": for "expected X, got Y".
std::string describe(const YAML::Node& node);
// The one candidate closest to `word` (edit distance <= 2), for "did you mean" hints.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// A value with where it came from and how to name it in messages ("queues[1].name").
struct Field {
  YAML::Node node;
  YAML::Mark mark;  // of the value, or of its key when the value is empty
  std::string path;
  Diagnostics* diag = nullptr;

  bool is_null() const { return !node || node.IsNull(); }
  void error(std::string_view message) const;  // "<path>: <message>" at `mark`

  // Conversions report "<path>: expected ..., got ..." and return nullopt on failure.
  std::optional<std::string> string() const;  // any non-empty plain or quoted scalar
  std::optional<std::int64_t> integer(std::int64_t min, std::int64_t max) const;
  std::optional<bool> boolean() const;                          // true | false
  std::optional<std::int64_t> seconds(std::int64_t min) const;  // a *_secs value, <= 1 year
  // A scalar or a list of scalars, as strings (a single value stands for a one-item list).
  std::optional<std::vector<std::string>> string_list() const;
  // The same, keeping each item's field so that a bad item is reported where it is written.
  std::vector<std::pair<Field, std::string>> string_items() const;
  // Items of a list (with paths "x[0]", ...); reports and returns empty if not a list.
  std::vector<Field> items() const;
  // Key/value pairs of a mapping (paths "x.key"), in file order; duplicate keys are errors.
  std::vector<std::pair<Field, Field>> entries() const;
};

// Reads one mapping whose keys are known in advance: unknown and duplicate keys are reported
// at once (with a "did you mean" hint), `get` returns the field or nullopt if absent.
class MapReader {
 public:
  MapReader(const Field& map, std::vector<std::string> known_keys);
  bool is_mapping() const { return is_mapping_; }
  std::optional<Field> get(std::string_view key) const;
  // Like get, but a missing key is an error at the mapping itself.
  std::optional<Field> require(std::string_view key) const;
  const Field& self() const { return self_; }

 private:
  Field self_;
  bool is_mapping_ = false;
  std::vector<std::pair<std::string, Field>> values_;
};

}  // namespace omniroute::yamlread
