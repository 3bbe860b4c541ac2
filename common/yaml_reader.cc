// Strict, position-tracking YAML reading. yaml-cpp only builds the node tree: its syntax
// exceptions are caught once, as<T>() is never called, every conversion and message is ours.
#include "common/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/utf8.h"

namespace omniroute::yamlcfg {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Position position_of(const YAML::Mark& mark) {
  return {mark.line < 0 ? 1 : mark.line + 1, mark.column < 0 ? 1 : mark.column + 1};
}

// ---- Diagnostics ----------------------------------------------------------------------------

std::string Diagnostics::where(const YAML::Mark& mark) const {
  Position at = position_of(mark);
  return file_name_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

void Diagnostics::error(const YAML::Mark& at, std::string_view message) {
  error(position_of(at), message);
}

void Diagnostics::error(Position at, std::string_view message) {
  errors_.push_back({at, file_name_ + ":" + std::to_string(at.line) + ":" +
                             std::to_string(at.column) + ": " + std::string(message)});
}

void Diagnostics::warning(const YAML::Mark& at, std::string_view message) {
  warnings_.push_back({position_of(at), where(at) + ": " + std::string(message)});
}

void Diagnostics::error_from(std::string_view source, std::string_view message) {
  constexpr Position kNotInFile{std::numeric_limits<int>::max(), 0};
  errors_.push_back({kNotInFile, std::string(source) + ": " + std::string(message)});
}

std::vector<std::string> Diagnostics::in_file_order(std::vector<Message> messages) {
  std::stable_sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
  });
  std::vector<std::string> lines;
  for (auto& m : messages) lines.push_back(std::move(m.text));
  return lines;
}

std::vector<std::string> Diagnostics::errors() const {
  return in_file_order(errors_);
}
std::vector<std::string> Diagnostics::warnings() const {
  return in_file_order(warnings_);
}

Error Diagnostics::to_error() const {
  std::string joined;
  for (const auto& line : errors()) {
    if (!joined.empty()) joined += '\n';
    joined += line;
  }
  return make_error(Errc::invalid_input, std::move(joined));
}

// ---- Documents and words --------------------------------------------------------------------

std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    diag.error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    diag.error(e.mark, std::string("YAML error: ") + e.what());
  }
  return std::nullopt;
}

std::string describe(const YAML::Node& node) {
  if (!node || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  std::string text = node.Scalar();
  if (text.size() > 40) text = std::string(utf8_prefix(text, 40)) + "...";  // whole characters
  return "'" + text + "'";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  if (word.size() > 64) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_distance = 3;  // only suggest within distance 2
  bool tie = false;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
      tie = false;
    } else if (d == best_distance && best && *best != candidate) {
      tie = true;
    }
  }
  if (tie) return std::nullopt;
  return best;
}

YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback) {
  if (!node || node.IsNull()) return fallback;
  return node.Mark();
}

// ---- Field: scalars -------------------------------------------------------------------------

namespace {

// Plain (unquoted) scalars carry the non-specific tag "?", quoted ones "!".
bool is_plain_scalar(const YAML::Node& node) {
  return node && node.IsScalar() && node.Tag() != "!";
}

std::optional<std::string> read_text_file(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

void Field::error(std::string_view message) const {
  diag->error(mark, path.empty() ? std::string(message) : path + ": " + std::string(message));
}

std::optional<std::string> Field::scalar() const {
  if (node && node.IsScalar()) return node.Scalar();
  error("expected a string, got " + describe(node));
  return std::nullopt;
}

std::optional<std::string> Field::string() const {
  auto text = scalar();
  if (text && text->empty()) {
    error("must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<std::int64_t> Field::integer(std::int64_t min, std::int64_t max) const {
  std::int64_t value = 0;
  bool parsed = is_plain_scalar(node);
  if (parsed) {
    std::string_view text = node.Scalar();
    if (text.starts_with('+')) text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
      error("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
            node.Scalar());
      return std::nullopt;
    }
    parsed = !text.empty() && ec == std::errc() && end == text.data() + text.size();
  }
  if (!parsed) {
    error("expected an integer, got " + describe(node));
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
  // Only true/false: YAML 1.1's yes/no/on/off surprise people ("NO" as a country code).
  if (is_plain_scalar(node)) {
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

std::optional<IndirectString> Field::indirect_string(const EnvLookup& env) const {
  if (node && node.IsScalar()) return IndirectString{node.Scalar(), ValueSource::inline_value};
  if (!node || !node.IsMap() || node.size() != 1) {
    error("expected a string, {env: NAME} or {file: PATH}, got " + describe(node));
    return std::nullopt;
  }
  auto it = node.begin();
  const std::string kind = it->first.IsScalar() ? it->first.Scalar() : "";
  if (kind != "env" && kind != "file") {
    Field{it->first, it->first.Mark(), path, diag}.error(
        "expected {env: NAME} or {file: PATH}, got '" + kind + "'");
    return std::nullopt;
  }
  Field name_field{it->second, mark_of(it->second, it->first.Mark()), path + "." + kind, diag};
  auto name = name_field.string();
  if (!name) return std::nullopt;
  Field at{node, name_field.mark, path, diag};  // what goes wrong now is about the value
  if (kind == "env") {
    auto value = env(*name);
    if (!value || value->empty()) {
      at.error("environment variable " + *name + (value ? " is empty" : " is not set"));
      return std::nullopt;
    }
    return IndirectString{*value, ValueSource::env};
  }
  std::string problem;
  auto content = read_text_file(*name, problem);
  if (!content) {
    at.error("cannot read file " + *name + ": " + problem);
    return std::nullopt;
  }
  if (content->empty()) {
    at.error("file " + *name + " is empty");
    return std::nullopt;
  }
  return IndirectString{*content, ValueSource::file};
}

// ---- Field: collections ---------------------------------------------------------------------

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
    out.push_back(Field{item, mark_of(item, mark), path + "[" + std::to_string(i++) + "]", diag});
  }
  return out;
}

std::vector<std::pair<Field, Field>> Field::entries() const {
  std::vector<std::pair<Field, Field>> out;
  if (!node || !node.IsMap()) {
    error("expected a mapping, got " + describe(node));
    return out;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    Field key_field{key, key.Mark(), path, diag};
    if (!key.IsScalar()) {
      key_field.error("keys must be plain strings, got " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    auto first = std::find_if(out.begin(), out.end(),
                              [&](const auto& entry) { return entry.first.node.Scalar() == name; });
    if (first != out.end()) {
      key_field.error("duplicate key '" + name + "' (first on line " +
                      std::to_string(position_of(first->first.mark).line) + ")");
      continue;
    }
    std::string sub = path.empty() ? name : path + "." + name;
    out.emplace_back(key_field, Field{value, mark_of(value, key.Mark()), sub, diag});
  }
  return out;
}

// ---- Bare-node conversions ------------------------------------------------------------------

std::optional<std::string> as_string(const YAML::Node& node, const YAML::Mark& at,
                                     std::string_view what, Diagnostics& diag) {
  return Field{node, at, std::string(what), &diag}.scalar();
}

std::optional<bool> as_bool(const YAML::Node& node, const YAML::Mark& at, std::string_view what,
                            Diagnostics& diag) {
  return Field{node, at, std::string(what), &diag}.boolean();
}

std::optional<std::int64_t> as_integer(const YAML::Node& node, const YAML::Mark& at,
                                       std::string_view what, std::int64_t min, std::int64_t max,
                                       Diagnostics& diag) {
  return Field{node, at, std::string(what), &diag}.integer(min, max);
}

std::optional<IndirectString> as_indirect_string(const YAML::Node& node, const YAML::Mark& at,
                                                 std::string_view what, const EnvLookup& env,
                                                 Diagnostics& diag) {
  return Field{node, at, std::string(what), &diag}.indirect_string(env);
}

// ---- MapReader ------------------------------------------------------------------------------

MapReader::MapReader(const Field& map, const std::vector<std::string>& known_keys)
    : self_(map), known_(known_keys), keys_declared_(true) {
  collect(map.node);
}

MapReader::MapReader(const YAML::Node& node, const YAML::Mark& at, std::string path,
                     Diagnostics& diag)
    : self_{node, mark_of(node, at), std::move(path), &diag} {
  collect(node);
}

void MapReader::collect(const YAML::Node& node) {
  if (!node || node.IsNull()) {
    is_mapping_ = true;  // `section:` with nothing under it: all defaults
    return;
  }
  if (!node.IsMap()) {
    Field{node, self_.mark, self_.path.empty() ? "the document" : self_.path, self_.diag}.error(
        "expected a mapping, got " + describe(node));
    finished_ = true;
    return;
  }
  is_mapping_ = true;
  for (auto& [key, value] : self_.entries()) {
    items_.push_back(Item{key.node.Scalar(), key.mark, std::move(value)});
  }
}

std::string MapReader::path_of(std::string_view key) const {
  if (self_.path.empty()) return std::string(key);
  return self_.path + "." + std::string(key);
}

const MapReader::Item* MapReader::find(std::string_view key) const {
  if (!keys_declared_) allow(key);
  for (const auto& item : items_) {
    if (item.key == key) return &item;
  }
  return nullptr;
}

std::optional<Field> MapReader::get(std::string_view key) const {
  if (const Item* item = find(key)) return item->value;
  return std::nullopt;
}

std::optional<Field> MapReader::require(std::string_view key) const {
  auto field = get(key);
  if (!field && !finished_) self_.error("missing required key '" + std::string(key) + "'");
  return field;
}

void MapReader::allow(std::string_view key) const {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
}

std::optional<MapReader::Entry> MapReader::take(std::string_view key) {
  const Item* item = find(key);
  if (!item) return std::nullopt;
  return Entry{item->value.node, item->key_mark, item->value.mark};
}

std::optional<MapReader::Entry> MapReader::take_required(std::string_view key) {
  auto entry = take(key);
  if (!entry) require(key);  // reports it
  return entry;
}

bool MapReader::read(std::string_view key, std::string& out) {
  auto field = get(key);
  auto v = field ? field->scalar() : std::nullopt;
  if (v) out = std::move(*v);
  return v.has_value();
}

bool MapReader::read(std::string_view key, bool& out) {
  auto field = get(key);
  auto v = field ? field->boolean() : std::nullopt;
  if (v) out = *v;
  return v.has_value();
}

void MapReader::section(std::string_view key, const std::function<void(MapReader&)>& parse) {
  auto field = get(key);
  if (!field) return;
  MapReader nested(field->node, field->mark, field->path, *self_.diag);
  if (nested.is_mapping()) parse(nested);
}

void MapReader::list(
    std::string_view key,
    const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each) {
  auto field = get(key);
  if (field) for_each_item(field->node, field->mark, field->path, *self_.diag, each);
}

void MapReader::finish() {
  if (finished_) return;
  finished_ = true;
  for (const auto& item : items_) {
    if (std::find(known_.begin(), known_.end(), item.key) != known_.end()) continue;
    std::string message = "unknown key '" + item.key + "'";
    if (auto hint = closest_match(item.key, known_)) message += " (did you mean '" + *hint + "'?)";
    Field{YAML::Node(), item.key_mark, self_.path, self_.diag}.error(message);
  }
}

void for_each_item(
    const YAML::Node& node, const YAML::Mark& at, const std::string& path, Diagnostics& diag,
    const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each) {
  if (!node || node.IsNull()) return;
  for (const auto& item : Field{node, mark_of(node, at), path, &diag}.items()) {
    each(item.node, item.mark, item.path);
  }
}

}  // namespace omniroute::yamlcfg
