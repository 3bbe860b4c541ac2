// Strict reading of JSON request bodies into typed structs: a body must be one JSON object
// within the size limit; unknown fields, wrong types and missing required fields are refused
// with a message naming the field (docs/api.md: 400 invalid_input, 413 too_large).
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

// The body as an object; an empty body reads as {} so that POSTs without fields need none.
// Errc::too_large over `max_bytes`, Errc::invalid_input for anything that is not an object.
Result<boost::json::object> parse_body_object(std::string_view body, std::size_t max_bytes);

// Reads fields off one object and remembers the first problem. Field names in messages are
// paths from the body's root ("a.kind"). finish() refuses the fields nobody asked for.
class ObjectReader {
 public:
  explicit ObjectReader(const boost::json::object& object, std::string path = "");

  // Required fields report "missing"; optional ones leave `out` untouched when absent.
  void string(std::string_view key, std::string& out, bool required);
  void string(std::string_view key, std::optional<std::string>& out);
  void integer(std::string_view key, std::optional<std::int64_t>& out, std::int64_t min,
               std::int64_t max);
  // {name: integer in [min, max]}
  void int_map(std::string_view key, std::optional<std::map<std::string, int>>& out, int min,
               int max);
  // {name: string}
  void string_map(std::string_view key, std::optional<std::map<std::string, std::string>>& out);
  // A nested object, read by `read` with its own reader (whose first problem becomes ours).
  template <class Read>
  void object(std::string_view key, bool required, Read read);

  // The first problem, or the first field that was never read. Call once, last.
  Result<void> finish();

  std::string path_of(std::string_view key) const;

 private:
  const boost::json::value* take(std::string_view key, bool required);
  void fail(std::string_view key, std::string_view why);

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
