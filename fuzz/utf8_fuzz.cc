// Fuzz target for common/utf8.h: the strict validator agrees with a decoder written another way
// (code point arithmetic instead of a table of second-byte ranges), and utf8_prefix always gives
// a prefix of at most N bytes that is valid UTF-8 whenever the input is.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "common/utf8.h"

using omniroute::is_valid_utf8;
using omniroute::utf8_prefix;

namespace {

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// The sequence at the front of `s`: its length, if it decodes to a code point that RFC 3629
// allows in its shortest form.
std::optional<std::size_t> decode_one(std::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  if (lead < 0x80) return 1;
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || lead >= 0xF8 || s.size() < length) return std::nullopt;
  std::uint32_t cp = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if (!is_continuation(c)) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  return length;
}

bool reference_valid(std::string_view s) {
  while (!s.empty()) {
    auto length = decode_one(s);
    if (!length) return false;
    s.remove_prefix(*length);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the cut; the rest is the text.
  const std::size_t max_bytes = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool valid = is_valid_utf8(text);
  if (valid != reference_valid(text)) std::abort();

  const auto cut = utf8_prefix(text, max_bytes);
  if (cut.data() != text.data() || cut.size() > max_bytes || cut.size() > text.size()) std::abort();
  if (text.size() <= max_bytes && cut.size() != text.size()) std::abort();
  if (valid && !is_valid_utf8(cut)) std::abort();
  // A valid text loses less than one character (at most 3 bytes) to the cut.
  if (valid && text.size() > max_bytes && cut.size() + 3 < max_bytes) std::abort();
  return 0;
}
