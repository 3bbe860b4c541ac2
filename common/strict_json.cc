// Two passes: a SAX pass that only looks for repeated keys (Boost.JSON's DOM parser would
// silently keep the last), then the ordinary parse with the same depth limit.
#include "common/strict_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/utf8.h"

namespace omniroute {
namespace {

using boost::json::string_view;
using boost::system::error_code;

// Keeps the keys of every open object; arrays hold no keys (nullopt).
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  std::optional<std::string> duplicate;  // the first repeated key
  bool out_of_range = false;             // a number beyond a double's range

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return open(false); }
  bool on_array_end(std::size_t, error_code&) { return close(); }
  bool on_object_begin(error_code&) { return open(true); }
  bool on_object_end(std::size_t, error_code&) { return close(); }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code& ec) {
    key_.append(s.data(), s.size());
    auto& keys = *open_.back();
    if (!keys.insert(key_).second) {
      duplicate = std::move(key_);
      ec = make_error_code(boost::system::errc::invalid_argument);
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  // Boost.JSON reads 1e999 as infinity and would write it back as `Infinity`, which is not
  // JSON: a number no double can hold is refused.
  bool on_double(double d, string_view, error_code& ec) {
    if (std::isfinite(d)) return true;
    out_of_range = true;
    ec = make_error_code(boost::system::errc::result_out_of_range);
    return false;
  }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  bool open(bool object) {
    open_.emplace_back(object ? std::optional<std::set<std::string>>(std::in_place) : std::nullopt);
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  std::vector<std::optional<std::set<std::string>>> open_;
  std::string key_;
};

Error invalid(std::string message) {
  return make_error(Errc::invalid_input, std::move(message));
}

// At most 64 bytes of `key`, cut on a UTF-8 boundary: a megabyte key does not come back in an
// error message, and the message stays valid UTF-8 for the JSON error body.
std::string shortened(const std::string& key) {
  if (key.size() <= 64) return key;
  return std::string(utf8_prefix(key, 64)) + "...";
}

}  // namespace

Result<boost::json::value> parse_strict_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(Errc::too_large, "is " + std::to_string(text.size()) +
                                           " bytes, over the limit of " +
                                           std::to_string(limits.max_bytes));
  }
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::json::basic_parser<DuplicateKeyFinder> finder(options);
  error_code ec;
  const auto used = finder.write_some(false, text.data(), text.size(), ec);
  if (finder.handler().duplicate) {
    return invalid("repeats the key '" + shortened(*finder.handler().duplicate) + "'");
  }
  if (finder.handler().out_of_range) return invalid("has a number out of range");
  if (ec == boost::json::error::too_deep) {
    return invalid("nests deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  if (ec) return invalid("is not JSON: " + ec.message());
  if (used != text.size()) return invalid("is not JSON: text after the value");
  auto value = boost::json::parse(text, ec, {}, options);
  if (ec) return invalid("is not JSON: " + ec.message());  // the first pass saw it all
  return value;
}

}  // namespace omniroute
