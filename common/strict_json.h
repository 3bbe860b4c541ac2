// Strict JSON for untrusted text (API bodies, signed tokens' claims, router commands): a size
// and a depth limit, and no duplicate keys. Boost.JSON keeps the last of two equal keys; another
// reader might keep the first, so a text with duplicates could mean two things. We refuse it.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace omniroute {

struct JsonLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 16;  // nesting of objects and arrays; our documents need 3
};

// Errc::too_large over max_bytes (checked before anything is parsed); Errc::invalid_input for
// text that is not JSON, nests deeper than max_depth, repeats a key within one object, or has
// a number beyond a double's range (which would read as infinity).
// Messages are predicates ("is not JSON: …", "repeats the key 'a'"): callers put the subject
// in front ("body " + message).
Result<boost::json::value> parse_strict_json(std::string_view text, const JsonLimits& limits);

}  // namespace omniroute
