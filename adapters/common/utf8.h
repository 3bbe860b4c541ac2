// UTF-8 validation for text that adapters copy into ContactEvent string fields, which
// protobuf requires to be valid UTF-8 (a parse of the stream entry fails otherwise).
#pragma once

#include <string_view>

namespace omniroute::adapters {

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace omniroute::adapters
