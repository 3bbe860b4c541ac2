// Typed, strict reading of YAML config files: positions, collected errors, unknown keys refused.
// yaml-cpp only builds the node tree; every conversion here is ours so that messages are too.
#include "daemon/config_yaml.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace omniroute::yamlcfg {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

// ---- Diagnostics ----------------------------------------------------------------------------

std::string Diagnostics::where(const YAML::Mark& mark) const {
  // yaml-cpp marks are 0-based and -1 when unknown (an empty document).
  int line = mark.line < 0 ? 1 : mark.line + 1;
  int column = mark.column < 0 ? 1 : mark.column + 1;
  return file_name_ + ":" + std::to_string(line) + ":" + std::to_string(column);
}

void Diagnostics::error(const YAML::Mark& at, std::string_view message) {
  errors_.push_back({at.line, at.column, where(at) + ": " + std::string(message)});
}

void Diagnostics::warning(const YAML::Mark& at, std::string_view message) {
  warnings_.push_back({at.line, at.column, where(at) + ": " + std::string(message)});
}

void Diagnostics::error_from(std::string_view source, std::string_view message) {
  constexpr int kNotInFile = std::numeric_limits<int>::max();
  errors_.push_back({kNotInFile, 0, std::string(source) + ": " + std::string(message)});
}

std::vector<std::string> Diagnostics::in_file_order(std::vector<Message> messages) {
  // Unknown keys are found when a section ends; sorting makes the report read top to bottom.
  std::stable_sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
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

// ---- Nodes ----------------------------------------------------------------------------------

YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  return node.Mark();
}

std::optional<YAML::Node> parse_document(const std::string& text, Diagnostics& diag) {
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
    return root;
  } catch (const YAML::ParserException& e) {
    diag.error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    diag.error(e.mark, std::string("YAML error: ") + e.what());
  }
  return std::nullopt;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
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

// ---- Scalars --------------------------------------------------------------------------------

std::optional<std::string> as_string(const YAML::Node& node, const YAML::Mark& at,
                                     std::string_view what, Diagnostics& diag) {
  if (node.IsDefined() && node.IsScalar()) return node.Scalar();
  diag.error(at, std::string(what) + ": expected a string, got " + describe(node));
  return std::nullopt;
}

std::optional<bool> as_bool(const YAML::Node& node, const YAML::Mark& at, std::string_view what,
                            Diagnostics& diag) {
  // Only true/false: YAML 1.1's yes/no/on/off surprise people ("NO" as a country code).
  if (node.IsDefined() && node.IsScalar()) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  diag.error(at, std::string(what) + ": expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<std::int64_t> as_integer(const YAML::Node& node, const YAML::Mark& at,
                                       std::string_view what, std::int64_t min, std::int64_t max,
                                       Diagnostics& diag) {
  std::int64_t value = 0;
  bool parsed = false;
  if (node.IsDefined() && node.IsScalar()) {
    const std::string& text = node.Scalar();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    parsed = ec == std::errc() && end == text.data() + text.size() && !text.empty();
    if (ec == std::errc::result_out_of_range) {
      diag.error(at, std::string(what) + ": " + text + " is out of range (" + std::to_string(min) +
                         ".." + std::to_string(max) + ")");
      return std::nullopt;
    }
  }
  if (!parsed) {
    diag.error(at, std::string(what) + ": expected an integer, got " + describe(node));
    return std::nullopt;
  }
  if (value < min || value > max) {
    diag.error(at, std::string(what) + ": " + std::to_string(value) + " is out of range (" +
                       std::to_string(min) + ".." + std::to_string(max) + ")");
    return std::nullopt;
  }
  return value;
}

namespace {

std::optional<std::string> read_secret_file(const std::string& path, std::string& problem) {
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

std::optional<IndirectString> as_indirect_string(const YAML::Node& node, const YAML::Mark& at,
                                                 std::string_view what, const EnvLookup& env,
                                                 Diagnostics& diag) {
  if (node.IsDefined() && node.IsScalar()) {
    return IndirectString{node.Scalar(), ValueSource::inline_value};
  }
  if (!node.IsDefined() || !node.IsMap() || node.size() != 1) {
    diag.error(at, std::string(what) + ": expected a string, {env: NAME} or {file: PATH}, got " +
                       describe(node));
    return std::nullopt;
  }
  auto it = node.begin();
  const std::string kind = it->first.IsScalar() ? it->first.Scalar() : "";
  YAML::Mark value_at = mark_of(it->second, it->first.Mark());
  if (kind != "env" && kind != "file") {
    diag.error(it->first.Mark(),
               std::string(what) + ": expected {env: NAME} or {file: PATH}, got '" + kind + "'");
    return std::nullopt;
  }
  auto name = as_string(it->second, value_at, std::string(what) + "." + kind, diag);
  if (!name) return std::nullopt;
  if (name->empty()) {
    diag.error(value_at, std::string(what) + "." + kind + ": must not be empty");
    return std::nullopt;
  }
  if (kind == "env") {
    auto value = env(*name);
    if (!value || value->empty()) {
      diag.error(value_at, std::string(what) + ": environment variable " + *name +
                               (value ? " is empty" : " is not set"));
      return std::nullopt;
    }
    return IndirectString{*value, ValueSource::env};
  }
  std::string problem;
  auto content = read_secret_file(*name, problem);
  if (!content) {
    diag.error(value_at, std::string(what) + ": cannot read file " + *name + ": " + problem);
    return std::nullopt;
  }
  if (content->empty()) {
    diag.error(value_at, std::string(what) + ": file " + *name + " is empty");
    return std::nullopt;
  }
  return IndirectString{*content, ValueSource::file};
}

// ---- MapReader ------------------------------------------------------------------------------

MapReader::MapReader(const YAML::Node& node, const YAML::Mark& at, std::string path,
                     Diagnostics& diag)
    : mark_(mark_of(node, at)), path_(std::move(path)), diag_(diag) {
  if (!node.IsDefined() || node.IsNull()) {
    is_mapping_ = true;  // `section:` with nothing under it: all defaults
    return;
  }
  if (!node.IsMap()) {
    diag_.error(mark_, (path_.empty() ? std::string("the document") : path_) +
                           ": expected a mapping, got " + describe(node));
    finished_ = true;
    return;
  }
  is_mapping_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      diag_.error(it->first.Mark(), "keys must be plain strings, got " + describe(it->first));
      continue;
    }
    const std::string& key = it->first.Scalar();
    auto previous = std::find_if(items_.begin(), items_.end(),
                                 [&](const Item& item) { return item.key == key; });
    if (previous != items_.end()) {
      diag_.error(it->first.Mark(), "duplicate key '" + path_of(key) + "' (first on line " +
                                        std::to_string(previous->entry.key_mark.line + 1) + ")");
      continue;
    }
    Entry entry{it->second, it->first.Mark(), mark_of(it->second, it->first.Mark())};
    items_.push_back(Item{key, std::move(entry), false});
  }
}

std::string MapReader::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::optional<MapReader::Entry> MapReader::take(std::string_view key) {
  allow(key);
  for (auto& item : items_) {
    if (item.key == key) {
      item.used = true;
      return item.entry;
    }
  }
  return std::nullopt;
}

std::optional<MapReader::Entry> MapReader::take_required(std::string_view key) {
  auto entry = take(key);
  if (!entry && !finished_) {
    diag_.error(mark_, "missing required key '" + path_of(key) + "'");
  }
  return entry;
}

void MapReader::allow(std::string_view key) {
  if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end()) {
    allowed_.emplace_back(key);
  }
}

bool MapReader::read(std::string_view key, std::string& out) {
  auto entry = take(key);
  if (!entry) return false;
  auto v = as_string(entry->value, entry->value_mark, path_of(key), diag_);
  if (!v) return false;
  out = std::move(*v);
  return true;
}

bool MapReader::read(std::string_view key, bool& out) {
  auto entry = take(key);
  if (!entry) return false;
  auto v = as_bool(entry->value, entry->value_mark, path_of(key), diag_);
  if (!v) return false;
  out = *v;
  return true;
}

void MapReader::section(std::string_view key, const std::function<void(MapReader&)>& parse) {
  auto entry = take(key);
  if (!entry) return;
  MapReader nested(entry->value, entry->value_mark, path_of(key), diag_);
  if (!nested.is_mapping()) return;
  parse(nested);
}

void MapReader::list(
    std::string_view key,
    const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each) {
  auto entry = take(key);
  if (!entry) return;
  for_each_item(entry->value, entry->value_mark, path_of(key), diag_, each);
}

void MapReader::finish() {
  if (finished_) return;
  finished_ = true;
  for (const auto& item : items_) {
    if (item.used) continue;
    if (std::find(allowed_.begin(), allowed_.end(), item.key) != allowed_.end()) continue;
    std::string message = "unknown key '" + path_of(item.key) + "'";
    if (auto hint = closest_match(item.key, allowed_)) {
      message += "; did you mean '" + *hint + "'?";
    }
    diag_.error(item.entry.key_mark, message);
  }
}

void for_each_item(
    const YAML::Node& node, const YAML::Mark& at, const std::string& path, Diagnostics& diag,
    const std::function<void(const YAML::Node&, const YAML::Mark&, const std::string&)>& each) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) {
    diag.error(mark_of(node, at), path + ": expected a list, got " + describe(node));
    return;
  }
  std::size_t index = 0;
  for (const auto& item : node) {
    each(item, mark_of(item, mark_of(node, at)), path + "[" + std::to_string(index) + "]");
    ++index;
  }
}

}  // namespace omniroute::yamlcfg
