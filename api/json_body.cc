// Request bodies: size first (before parsing), then shape, then each field.
#include "api/json_body.h"

#include <algorithm>

#include "common/strict_json.h"

namespace omniroute::api {

Result<boost::json::object> parse_body_object(std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes) {
    return make_error(Errc::too_large, "body of " + std::to_string(body.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(max_bytes));
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return boost::json::object{};
  auto value = parse_strict_json(body, {.max_bytes = max_bytes, .max_depth = kMaxBodyDepth});
  if (!value) return make_error(value.error().code, "body " + value.error().message);
  if (!value->is_object()) return make_error(Errc::invalid_input, "body must be a JSON object");
  return std::move(value->as_object());
}

ObjectReader::ObjectReader(const boost::json::object& object, std::string path)
    : object_(object), path_(std::move(path)) {}

std::string ObjectReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ObjectReader::fail(std::string_view key, std::string_view why) {
  if (!error_) {
    error_ = make_error(Errc::invalid_input, "field '" + path_of(key) + "': " + std::string(why));
  }
}

const boost::json::value* ObjectReader::take(std::string_view key, bool required) {
  read_.emplace_back(key);
  const auto* v = object_.if_contains(key);
  if (v && !v->is_null()) return v;
  if (required) fail(key, "missing");
  return nullptr;
}

void ObjectReader::string(std::string_view key, std::string& out, bool required,
                          std::size_t max_bytes) {
  const auto* v = take(key, required);
  if (!v) return;
  if (!v->is_string()) return fail(key, "expected a string");
  if (required && v->as_string().empty()) return fail(key, "must not be empty");
  if (v->as_string().size() > max_bytes) {
    return fail(key, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  out = std::string(v->as_string());
}

void ObjectReader::string(std::string_view key, std::optional<std::string>& out,
                          std::size_t max_bytes) {
  std::string value;
  const bool present = object_.if_contains(key) && !object_.at(key).is_null();
  const bool ok_so_far = !error_;
  string(key, value, false, max_bytes);
  if (present && ok_so_far && !error_) out = std::move(value);
}

bool ObjectReader::map_names_ok(std::string_view key, const boost::json::object& map) {
  if (map.size() > kMaxMapEntries) {
    fail(key, "more than " + std::to_string(kMaxMapEntries) + " entries");
    return false;
  }
  for (const auto& entry : map) {
    if (entry.key().empty()) {
      fail(key, "names must not be empty");
      return false;
    }
    if (entry.key().size() > kMaxMapKeyBytes) {
      fail(key, "names longer than " + std::to_string(kMaxMapKeyBytes) + " bytes");
      return false;
    }
  }
  return true;
}

void ObjectReader::integer(std::string_view key, std::optional<std::int64_t>& out, std::int64_t min,
                           std::int64_t max) {
  const auto* v = take(key, false);
  if (!v) return;
  if (!v->is_int64() && !v->is_uint64()) return fail(key, "expected an integer");
  auto n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
  if (v->is_uint64() && v->as_uint64() > static_cast<std::uint64_t>(max)) n = max + 1;
  if (n < min || n > max) {
    return fail(key, "must be " + std::to_string(min) + ".." + std::to_string(max));
  }
  out = n;
}

void ObjectReader::int_map(std::string_view key, std::optional<std::map<std::string, int>>& out,
                           int min, int max) {
  const auto* v = take(key, false);
  if (!v) return;
  if (!v->is_object()) return fail(key, "expected an object of integers");
  if (!map_names_ok(key, v->as_object())) return;
  std::map<std::string, int> values;
  for (const auto& [name, value] : v->as_object()) {
    const std::string field = std::string(key) + "." + std::string(name);
    if (!value.is_int64() || value.as_int64() < min || value.as_int64() > max) {
      return fail(field, "expected an integer " + std::to_string(min) + ".." + std::to_string(max));
    }
    values.emplace(std::string(name), static_cast<int>(value.as_int64()));
  }
  out = std::move(values);
}

void ObjectReader::string_map(std::string_view key,
                              std::optional<std::map<std::string, std::string>>& out,
                              std::size_t max_value_bytes) {
  const auto* v = take(key, false);
  if (!v) return;
  if (!v->is_object()) return fail(key, "expected an object of strings");
  if (!map_names_ok(key, v->as_object())) return;
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : v->as_object()) {
    const std::string field = std::string(key) + "." + std::string(name);
    if (!value.is_string()) return fail(field, "expected a string");
    if (value.as_string().size() > max_value_bytes) {
      return fail(field, "longer than " + std::to_string(max_value_bytes) + " bytes");
    }
    values.emplace(std::string(name), std::string(value.as_string()));
  }
  out = std::move(values);
}

Result<void> ObjectReader::finish() {
  if (error_) return *error_;
  for (const auto& [key, value] : object_) {
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      return make_error(Errc::invalid_input, "field '" + path_of(key) + "': unknown field");
    }
  }
  return {};
}

}  // namespace omniroute::api
