// Specification of common/utf8.h: the strict validator, and the cut that never splits a
// character, on valid and on invalid input.
#include "common/utf8.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

using omniroute::is_valid_utf8;
using omniroute::utf8_prefix;

namespace {

const std::string kE = "\xC3\xA9";            // é, 2 bytes
const std::string kZhong = "\xE4\xB8\xAD";    // 中, 3 bytes
const std::string kBus = "\xF0\x9F\x9A\x8C";  // 🚌, 4 bytes

}  // namespace

TEST_CASE("utf8: well-formed text of every sequence length is valid") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ASCII"));
  CHECK(is_valid_utf8(kE + " " + kZhong + " " + kBus));
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
}

TEST_CASE("utf8: overlongs, surrogates, code points above U+10FFFF and truncation are invalid") {
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xC1\xBF"));          // overlong 2-byte
  CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));      // overlong 3-byte
  CHECK_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));  // overlong 4-byte
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800, a surrogate
  CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));      // U+DFFF, a surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));  // a lead byte no code point has
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));          // truncated at the end
  CHECK_FALSE(is_valid_utf8("\xE2\x82x"));         // truncated before ASCII
  CHECK_FALSE(is_valid_utf8("\x80"));              // a lone continuation byte
  CHECK_FALSE(is_valid_utf8(std::string_view("a\0\xFF", 3)));
}

TEST_CASE("utf8_prefix: ASCII is cut at exactly max_bytes") {
  CHECK(utf8_prefix("hello world", 5) == "hello");
  CHECK(utf8_prefix("hello", 0).empty());
  CHECK(utf8_prefix("", 0).empty());
  CHECK(utf8_prefix("", 3).empty());
}

TEST_CASE("utf8_prefix: a string that fits comes back whole") {
  const std::string text = "ab" + kZhong;
  CHECK(utf8_prefix(text, text.size()) == text);
  CHECK(utf8_prefix(text, 1000) == text);
  CHECK(utf8_prefix(text, text.size()).data() == text.data());  // a view, not a copy
}

TEST_CASE("utf8_prefix: a cut inside a 2-, 3- or 4-byte sequence leaves the character out") {
  CHECK(utf8_prefix("a" + kE + "b", 2) == "a");
  for (std::size_t cut = 1; cut < 3; ++cut) CHECK(utf8_prefix("a" + kZhong + "b", 1 + cut) == "a");
  for (std::size_t cut = 1; cut < 4; ++cut) CHECK(utf8_prefix("a" + kBus + "b", 1 + cut) == "a");
  CHECK(utf8_prefix(kZhong + kZhong, 5) == kZhong);
  CHECK(utf8_prefix(kZhong, 2).empty());
}

TEST_CASE("utf8_prefix: a cut on a character boundary keeps the character before it") {
  CHECK(utf8_prefix("a" + kE + "b", 3) == "a" + kE);
  CHECK(utf8_prefix(kZhong + kZhong, 3) == kZhong);
  CHECK(utf8_prefix(kBus + kBus, 4) == kBus);
  CHECK(utf8_prefix(kBus + "x", 4) == kBus);
}

TEST_CASE("utf8_prefix: a cut of valid text is valid and loses less than one character") {
  const std::string text = "x" + kE + kZhong + kBus + "y" + kBus + kZhong + kE;
  for (std::size_t max = 0; max <= text.size() + 1; ++max) {
    const auto cut = utf8_prefix(text, max);
    INFO("max_bytes " << max);
    CHECK(cut.size() <= max);
    CHECK(cut.size() + 4 > std::min(max, text.size()));
    CHECK(text.starts_with(cut));
    CHECK(is_valid_utf8(cut));
  }
}

TEST_CASE("utf8_prefix: invalid input is still cut to a prefix of at most max_bytes") {
  const std::string stray(10, '\x80');  // continuation bytes only
  const std::string garbage = "\xFF\xFE\xBF\xE4\xB8\xAD\xAD\xAD\xF8\x80";
  const std::string truncated = "ab\xE4\xB8";  // a sequence cut at the end
  for (const std::string& text : {stray, garbage, truncated}) {
    for (std::size_t max = 0; max <= text.size() + 1; ++max) {
      const auto cut = utf8_prefix(text, max);
      INFO("max_bytes " << max);
      CHECK(cut.size() <= max);
      CHECK(cut.data() == text.data());
      CHECK(text.starts_with(cut));
    }
  }
  CHECK(utf8_prefix(stray, 5).size() == 5);  // no character to keep whole: cut where asked
  CHECK(utf8_prefix(truncated, 3) == "ab");
}
