// Strict, position-tracking YAML reading. yaml-cpp throws on syntax errors and on as<T>(), so
// this file catches the former once and never calls the latter: scalars are parsed by hand.
#include "routing/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace omniroute::yamlread {

Position position_of(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

void Diagnostics::error(const YAML::Mark& at, std::string_view message) {
  error(position_of(at), message);
}

void Diagnostics::error(Position at, std::string_view message) {
  errors_.push_back(file_name_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                    ": " + std::string(message));
}

std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    diag.error(e.mark, "YAML syntax error: " + e.msg);
  }
  return std::nullopt;
}

std::string describe(const YAML::Node& node) {
  if (!node || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  std::string text = node.Scalar();
  if (text.size() > 40) text = text.substr(0, 40) + "...";
  return "'" + text + "'";
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  if (word.size() > 64) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  return best;
}

void Field::error(std::string_view message) const {
  diag->error(mark, path.empty() ? std::string(message) : path + ": " + std::string(message));
}

std::optional<std::string> Field::string() const {
  if (is_null() || !node.IsScalar() || node.Scalar().empty()) {
    error("expected a non-empty text, got " + describe(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> Field::integer(std::int64_t min, std::int64_t max) const {
  // A quoted "60" is text, not a number: the type in the file is what ops wrote.
  bool plain = node && node.IsScalar() && node.Tag() != "!";
  std::int64_t value = 0;
  if (plain) {
    std::string_view s = node.Scalar();
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    plain = !s.empty() && ec == std::errc() && p == s.data() + s.size();
  }
  if (!plain) {
    error("expected a whole number, got " + describe(node));
    return std::nullopt;
  }
  if (value < min || value > max) {
    error("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
          std::to_string(value));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Field::boolean() const {
  if (node && node.IsScalar() && node.Tag() != "!") {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  error("expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<std::int64_t> Field::seconds(std::int64_t min) const {
  constexpr std::int64_t kYear = 366LL * 24 * 3600;
  return integer(min, kYear);
}

std::optional<std::vector<std::string>> Field::string_list() const {
  if (node && node.IsScalar()) {
    auto s = string();
    if (!s) return std::nullopt;
    return std::vector<std::string>{*s};
  }
  if (!node || !node.IsSequence() || node.size() == 0) {
    error("expected a value or a non-empty list of values, got " + describe(node));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : items()) {
    auto s = item.string();
    if (s) out.push_back(*s);
    ok = ok && s.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::vector<std::pair<Field, std::string>> Field::string_items() const {
  std::vector<std::pair<Field, std::string>> out;
  if (!string_list()) return out;  // reports the problem once
  if (node.IsScalar()) {
    out.emplace_back(*this, node.Scalar());
  } else {
    for (auto& item : items()) out.emplace_back(item, item.node.Scalar());
  }
  return out;
}

std::vector<Field> Field::items() const {
  std::vector<Field> out;
  if (!node || !node.IsSequence()) {
    error("expected a list, got " + describe(node));
    return out;
  }
  std::size_t i = 0;
  for (const auto& item : node) {
    YAML::Mark m = item.IsNull() ? mark : item.Mark();
    out.push_back(Field{item, m, path + "[" + std::to_string(i++) + "]", diag});
  }
  return out;
}

std::vector<std::pair<Field, Field>> Field::entries() const {
  std::vector<std::pair<Field, Field>> out;
  if (!node || !node.IsMap()) {
    error("expected a mapping, got " + describe(node));
    return out;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    std::string name = key.IsScalar() ? key.Scalar() : describe(key);
    std::string sub = path.empty() ? name : path + "." + name;
    Field key_field{key, key.Mark(), path, diag};
    if (!key.IsScalar()) {
      key_field.error("keys must be plain names, got " + describe(key));
      continue;
    }
    if (!seen.insert(name).second) {
      Field{key, key.Mark(), sub, diag}.error("duplicate key");
      continue;
    }
    YAML::Mark value_mark = value.IsNull() ? key.Mark() : value.Mark();
    out.emplace_back(key_field, Field{value, value_mark, sub, diag});
  }
  return out;
}

MapReader::MapReader(const Field& map, std::vector<std::string> known_keys) : self_(map) {
  if (!map.node || !map.node.IsMap()) {
    map.error("expected a mapping, got " + describe(map.node));
    return;
  }
  is_mapping_ = true;
  for (auto& [key, value] : map.entries()) {
    const std::string& name = key.node.Scalar();
    if (std::find(known_keys.begin(), known_keys.end(), name) == known_keys.end()) {
      std::string message = "unknown key '" + name + "'";
      if (auto hint = closest(name, known_keys)) message += " (did you mean '" + *hint + "'?)";
      key.error(message);
      continue;
    }
    values_.emplace_back(name, value);
  }
}

std::optional<Field> MapReader::get(std::string_view key) const {
  for (const auto& [name, field] : values_) {
    if (name == key) return field;
  }
  return std::nullopt;
}

std::optional<Field> MapReader::require(std::string_view key) const {
  auto f = get(key);
  if (!f && is_mapping_) self_.error("missing required key '" + std::string(key) + "'");
  return f;
}

}  // namespace omniroute::yamlread
