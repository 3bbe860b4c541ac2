// Strict UTF-8 validation (RFC 3629 table 3-7), byte by byte, without allocations; and the cut
// at a character boundary, which looks at no more than the four bytes around the cut.
#include "common/utf8.h"

namespace omniroute {
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

bool is_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The length a lead byte announces by its high bits (0 for a continuation byte or F8..FF).
// Deliberately lenient: the cut only needs to know where a sequence would end.
std::size_t announced_length(char c) noexcept {
  const auto b = static_cast<unsigned char>(c);
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 0;
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

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  // text[max_bytes] is the first byte left out. When it continues a sequence, step back over at
  // most three continuation bytes (the most a sequence has) to that sequence's lead byte.
  std::size_t start = max_bytes;
  while (start > 0 && max_bytes - start < 3 && is_continuation(text[start])) --start;
  // Cut before the lead byte only when its sequence reaches past the cut; a run of stray
  // continuation bytes is invalid whatever we do, and is cut where asked.
  const bool splits = start < max_bytes && start + announced_length(text[start]) > max_bytes;
  return text.substr(0, splits ? start : max_bytes);
}

}  // namespace omniroute
