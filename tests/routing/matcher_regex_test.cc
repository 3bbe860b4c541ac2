// The `regex` condition: RE2 syntax, a case-insensitive search (not a full match) over UTF-8
// text, and matching in linear time whatever the pattern and the text (ARCHITECTURE invariant 8:
// no single input stops the system).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "routing/matcher.h"
#include "routing/rules_yaml.h"

using namespace omniroute;
using namespace omniroute::routing;

namespace {

// The largest match_text_max_bytes the validator accepts (checked below).
constexpr std::size_t kLargestText = 65536;

// One rule with the given regex, then the default rule.
std::shared_ptr<const Rules> regex_rules(const std::string& pattern, std::size_t max_bytes = 4096) {
  std::string quoted;  // a YAML single-quoted scalar: ' is written ''
  for (char c : pattern) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  auto parsed = parse_rules(R"(version: 1
match_text_max_bytes: )" + std::to_string(max_bytes) +
                                R"(
tiers: [{name: standard, priority: 0, default: true, first_response_secs: {default: 60}}]
queues: [{name: general}]
rules:
  - {name: by-regex, when: {regex: ')" +
                                quoted + R"('}, then: {queue: general}}
  - {name: default, then: {queue: general}}
)",
                            "regex.yaml");
  for (const auto& e : parsed.errors) UNSCOPED_INFO(e);
  REQUIRE(parsed.rules);
  return parsed.rules;
}

bool matches(const Rules& rules, const std::string& text, const std::string& subject = "") {
  v1::ContactEvent e;
  e.set_channel(v1::CHANNEL_WEBCHAT);
  e.set_text(text);
  e.set_subject(subject);
  e.set_received_at_unix_ms(1'736'157'600'000);
  return match(rules, e, MatchContext{1'736'157'600'000, std::nullopt}).rule == "by-regex";
}

bool matches(const std::string& pattern, const std::string& text) {
  return matches(*regex_rules(pattern), text);
}

}  // namespace

TEST_CASE("a regex finds a match anywhere in the text or the subject, not only a full match") {
  CHECK(matches("refund", "could you refund my last order?"));
  CHECK(matches("order \\d+", "about order 42, please"));
  auto rules = regex_rules("refund");
  CHECK(matches(*rules, "hello", "Refund request"));
  CHECK_FALSE(matches(*rules, "hello", "a question"));
  // Anchors still mean the start and the end of the whole text.
  CHECK(matches("^refund$", "refund"));
  CHECK_FALSE(matches("^refund$", "refund now"));
  CHECK_FALSE(matches("^refund$", "a refund"));
}

TEST_CASE("a regex matches case-insensitively, in ASCII and beyond") {
  CHECK(matches("refund", "REFUND NOW"));
  CHECK(matches("REFUND", "refund now"));
  CHECK(matches("\\b(lawyer|attorney)\\b", "My Lawyer will call"));
  CHECK(matches("ärger", "SO EIN ÄRGER"));
}

TEST_CASE("a regex matches UTF-8 text, and . stands for one character, not one byte") {
  CHECK(matches("退款", "我要退款"));
  CHECK(matches("投诉|投訴", "我要投訴你們"));
  CHECK_FALSE(matches("退款", "我要投诉"));
  CHECK(matches("^..$", "投诉"));  // two characters of three bytes each
  CHECK_FALSE(matches("^.$", "投诉"));
  CHECK(matches("^\\p{Han}+$", "投诉"));
}

// Invariant 8: no single input stops the system; matching runs in linear time (RE2). With
// the old backtracking matcher these patterns took exponential time (each further letter doubled
// `(\w+\s?)+$`) or overflowed the stack (`.*x` over 64 KiB). There is no time limit here on
// purpose: a hang is caught by ctest's timeout, a stack overflow crashes the test.
TEST_CASE("pathological regexes run in linear time over the largest text the rules allow") {
  // kLargestText is the most the validator accepts, so these texts are the worst a rule sees.
  auto too_large = parse_rules(
      "version: 1\nmatch_text_max_bytes: " + std::to_string(kLargestText + 1) + "\n", "t.yaml");
  CHECK(std::any_of(too_large.errors.begin(), too_large.errors.end(), [](const std::string& e) {
    return e.find("match_text_max_bytes: must be between 16 and 65536") != std::string::npos;
  }));
  const std::string letters(kLargestText - 1, 'a');
  const std::string full(kLargestText, 'a');

  SECTION("nested repetition of words with optional spaces, failing at a final '!'") {
    auto rules = regex_rules("(\\w+\\s?)+$", kLargestText);
    CHECK_FALSE(matches(*rules, letters + "!", letters + "!"));
    CHECK(matches(*rules, letters.substr(1) + "!a"));  // once the text ends in a letter, it matches
  }
  SECTION("a leading .* that never finds its x") {
    auto rules = regex_rules(".*x", kLargestText);
    CHECK_FALSE(matches(*rules, full, full));
    CHECK(matches(*rules, letters + "x"));  // the very last byte allowed is still seen
  }
  SECTION("a repeated empty-matching group that never finds its b") {
    auto rules = regex_rules("(a*)*b", kLargestText);
    CHECK_FALSE(matches(*rules, full, full));
  }
  SECTION("overlapping repetitions that never find their y") {
    auto rules = regex_rules("(x+x+)+y", kLargestText);
    CHECK_FALSE(matches(*rules, std::string(kLargestText, 'x')));
  }
}
