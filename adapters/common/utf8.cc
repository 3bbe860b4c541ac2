// Strict UTF-8 validation (RFC 3629 table 3-7), byte by byte, without allocations.
#include "adapters/common/utf8.h"

#include <cstddef>

namespace omniroute::adapters {
namespace {

// Allowed range of the second byte of a sequence, which is where overlong forms, surrogates
// and code points above U+10FFFF are excluded; later continuation bytes are always 80..BF.
struct Lead {
  int length;
  unsigned char second_min;
  unsigned char second_max;
};

Lead classify_lead(unsigned char c) noexcept {
  if (c < 0x80) return {1, 0, 0};
  if (c >= 0xC2 && c <= 0xDF) return {2, 0x80, 0xBF};
  if (c == 0xE0) return {3, 0xA0, 0xBF};
  if (c == 0xED) return {3, 0x80, 0x9F};
  if (c >= 0xE1 && c <= 0xEF) return {3, 0x80, 0xBF};
  if (c == 0xF0) return {4, 0x90, 0xBF};
  if (c >= 0xF1 && c <= 0xF3) return {4, 0x80, 0xBF};
  if (c == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};  // C0, C1, F5..FF and stray continuation bytes
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = classify_lead(static_cast<unsigned char>(text[i]));
    if (lead.length == 0) return false;
    if (lead.length == 1) {
      ++i;
      continue;
    }
    if (text.size() - i < static_cast<std::size_t>(lead.length)) return false;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < lead.second_min || second > lead.second_max) return false;
    for (int k = 2; k < lead.length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if (next < 0x80 || next > 0xBF) return false;
    }
    i += static_cast<std::size_t>(lead.length);
  }
  return true;
}

}  // namespace omniroute::adapters
