// Strict reading of JSON request bodies into typed structs: a body must be one JSON object
// within the size and depth limits and without repeated keys; unknown fields, wrong types,
// missing required fields and values over their limits are refused with a message naming the
// field (docs/api.md: 400 invalid_input, 413 too_large).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace omniroute::api {

// Limits every body shares; string fields name their own (bodies.h).
inline constexpr std::size_t kMaxBodyDepth = 8;      // our bodies nest 2 deep
inline constexpr std::size_t kMaxMapEntries = 64;    // skills, capacities, attributes
inline constexpr std::size_t kMaxMapKeyBytes = 128;  // a skill, channel or attribute name
inline constexpr std::size_t kMaxStringBytes = 128;  // ids and codes, unless a field says more

// The body as an object; an empty body reads as {} so that POSTs without fields need none.
// Errc::too_large over `max_bytes`, Errc::invalid_input for anything that is not an object,
// nests deeper than kMaxBodyDepth or repeats a key.
Result<boost::json::object> parse_body_object(std::string_view body, std::size_t max_bytes);

// Reads fields off one object and remembers the first problem. Field names in messages are
// paths from the body's root ("a.kind"). finish() refuses the fields nobody asked for.
class ObjectReader {
 public:
  explicit ObjectReader(const boost::json::object& object, std::string path = "");

  // Required fields report "missing"; optional ones leave `out` untouched when absent. Strings
  // longer than `max_bytes` are refused.
  void string(std::string_view key, std::string& out, bool required,
              std::size_t max_bytes = kMaxStringBytes);
  void string(std::string_view key, std::optional<std::string>& out,
              std::size_t max_bytes = kMaxStringBytes);
  void integer(std::string_view key, std::optional<std::int64_t>& out, std::int64_t min,
               std::int64_t max);
  // {name: integer in [min, max]}; at most kMaxMapEntries names of 1..kMaxMapKeyBytes bytes.
  void int_map(std::string_view key, std::optional<std::map<std::string, int>>& out, int min,
               int max);
  // {name: string of at most `max_value_bytes`}; names as for int_map.
  void string_map(std::string_view key, std::optional<std::map<std::string, std::string>>& out,
                  std::size_t max_value_bytes);
  // A nested object, read by `read` with its own reader (whose first problem becomes ours).
  template <class Read>
  void object(std::string_view key, bool required, Read read);

  // The first problem, or the first field that was never read. Call once, last.
  Result<void> finish();

  std::string path_of(std::string_view key) const;

 private:
  const boost::json::value* take(std::string_view key, bool required);
  void fail(std::string_view key, std::string_view why);
  // The shape of a map's names; false (and the problem recorded) when they break the limits.
  bool map_names_ok(std::string_view key, const boost::json::object& map);

  const boost::json::object& object_;
  std::string path_;
  std::vector<std::string> read_;
  std::optional<Error> error_;
};

template <class Read>
void ObjectReader::object(std::string_view key, bool required, Read read) {
  const auto* v = take(key, required);
  if (!v) return;
  if (!v->is_object()) return fail(key, "expected an object");
  ObjectReader inner(v->as_object(), path_of(key));
  read(inner);
  if (auto done = inner.finish(); !done && !error_) error_ = done.error();
}

}  // namespace omniroute::api
