// UTF-8 for text that must stay valid: protobuf `string` fields (a parse fails otherwise), JSON,
// WebSocket close reasons. One strict validator, and one cut that keeps characters whole.
#pragma once

#include <cstddef>
#include <string_view>

namespace omniroute {

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view text) noexcept;

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a
// multi-byte sequence: valid UTF-8 in, valid UTF-8 out. On invalid input it is still a prefix
// of at most `max_bytes` bytes (and reads nothing outside `text`). A view into `text`.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept;

}  // namespace omniroute
