// The validator: every mistake ops can make in a rules file is refused with the file, line and
// column of the mistake, and all mistakes are reported at once.
#include <algorithm>
#include <catch2/catch.hpp>

#include "routing/rules_yaml.h"

using namespace omniroute::routing;

namespace {

// Tiers, skills and one queue that the cases below build on (lines 1-14).
const std::string kHead = R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 900}
  - name: vip
    priority: 20
    first_response_secs: {default: 60}
skills:
  english: English
queues:
  - name: general
    required_skills: {english: 2}
)";

// The default rule, for files whose mistake is elsewhere.
const std::string kDefaultRule = R"(rules:
  - name: default
    then: {queue: general}
)";

std::vector<std::string> errors_of(const std::string& text) {
  auto parsed = parse_rules(text, "t.yaml");
  CHECK((parsed.rules == nullptr) == !parsed.errors.empty());
  return parsed.errors;
}

bool has(const std::vector<std::string>& errors, const std::string& message) {
  return std::find(errors.begin(), errors.end(), message) != errors.end();
}

}  // namespace

#define CHECK_ERROR(errors, message)                       \
  do {                                                     \
    INFO("errors:\n" << Catch::Detail::stringify(errors)); \
    CHECK(has(errors, message));                           \
  } while (false)

TEST_CASE("the base file of these cases is valid") {
  CHECK(errors_of(kHead + kDefaultRule).empty());
}

TEST_CASE("a rules file without a default rule is refused, saying a default rule is required") {
  auto errors = errors_of(kHead + R"(rules:
  - name: sms
    when: {channels: [sms]}
    then: {queue: general}
)");
  CHECK_ERROR(errors,
              "t.yaml:16:3: rules: no default rule: the last rule must have no 'when' so "
              "that every contact gets a queue");
}

TEST_CASE("rules after the default rule are refused as unreachable") {
  auto errors = errors_of(kHead + R"(rules:
  - name: default
    then: {queue: general}
  - name: sms
    when: {channels: [sms]}
    then: {queue: general}
)");
  CHECK_ERROR(errors,
              "t.yaml:18:5: rules[1]: rule 'sms' can never match: the default rule "
              "'default' (line 16) catches every contact first; the default rule must be "
              "last");
}

TEST_CASE("unknown keys are refused with a did-you-mean hint") {
  auto errors = errors_of(kHead + R"(    stratgy: least_busy
)" + kDefaultRule);
  CHECK_ERROR(errors, "t.yaml:15:5: queues[0]: unknown key 'stratgy' (did you mean 'strategy'?)");
}

TEST_CASE("values of the wrong type are refused") {
  auto errors = errors_of(kHead + R"(    reservation_timeout_secs: "30"
    auto_accept: yes
    channels: {sms: true}
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:15:31: queues[0].reservation_timeout_secs: expected an integer, "
              "got '30'");
  CHECK_ERROR(errors, "t.yaml:16:18: queues[0].auto_accept: expected true or false, got 'yes'");
  CHECK_ERROR(errors,
              "t.yaml:17:15: queues[0].channels: expected a value or a non-empty list of "
              "values, got a mapping");
}

TEST_CASE("references to unknown queues, skills, tiers and channels are refused") {
  auto errors = errors_of(kHead + R"(    overflow_queue: genral
    max_wait_secs: 60
rules:
  - name: vip
    when: {tiers: [vipp], channels: [wechatt]}
    then: {queue: vip, extra_skills: {french: 2}}
  - name: default
    then: {queue: general}
)");
  CHECK_ERROR(errors,
              "t.yaml:15:21: queues[0].overflow_queue: unknown queue 'genral' (did you "
              "mean 'general'?)");
  CHECK_ERROR(errors,
              "t.yaml:19:20: rules[0].when.tiers[0]: unknown tier 'vipp' (did you mean "
              "'vip'?)");
  CHECK_ERROR(errors,
              "t.yaml:19:38: rules[0].when.channels[0]: unknown channel 'wechatt' (did you "
              "mean 'wechat'?)");
  CHECK_ERROR(errors, "t.yaml:20:19: rules[0].then.queue: unknown queue 'vip'");
  CHECK_ERROR(errors,
              "t.yaml:20:39: rules[0].then.extra_skills.french: unknown skill 'french'; "
              "declare it under skills:");
}

TEST_CASE("duplicate names are refused") {
  auto errors = errors_of(kHead + R"(  - name: general
rules:
  - name: default
    then: {queue: general}
  - name: default
    then: {queue: general}
)");
  CHECK_ERROR(errors, "t.yaml:15:11: queues[1].name: duplicate queue name 'general'");
  CHECK_ERROR(errors, "t.yaml:19:11: rules[1].name: duplicate rule name 'default'");
}

TEST_CASE("a duplicate key in one mapping is refused") {
  auto errors = errors_of(kHead + R"(    strategy: least_busy
    strategy: longest_idle
)" + kDefaultRule);
  CHECK_ERROR(errors, "t.yaml:16:5: queues[0]: duplicate key 'strategy' (first on line 15)");
}

TEST_CASE("skill levels outside 1..5 are refused") {
  auto errors = errors_of(kHead + R"(  - name: experts
    required_skills: {english: 6}
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:16:32: queues[1].required_skills.english: must be between 1 and 5, "
              "got 6");
}

TEST_CASE("bad durations are refused") {
  auto errors = errors_of(kHead + R"(    reservation_timeout_secs: 0
    max_wait_secs: -5
    sticky_window_secs: 99999999
    escalation:
      - after_secs: 1.5
        raise_priority_by: 1
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:15:31: queues[0].reservation_timeout_secs: must be between 1 and "
              "31622400, got 0");
  CHECK_ERROR(errors,
              "t.yaml:16:20: queues[0].max_wait_secs: must be between 1 and 31622400, "
              "got -5");
  CHECK_ERROR(errors,
              "t.yaml:17:25: queues[0].sticky_window_secs: must be between 0 and "
              "31622400, got 99999999");
  CHECK_ERROR(errors,
              "t.yaml:19:21: queues[0].escalation[0].after_secs: expected an "
              "integer, got '1.5'");
}

TEST_CASE("an invalid regular expression is refused at its position, with the reason") {
  auto errors = errors_of(kHead + R"(rules:
  - name: legal
    when: {regex: 'lawyer(s'}
    then: {queue: general}
  - name: default
    then: {queue: general}
)");
  CHECK_ERROR(errors,
              "t.yaml:17:19: rules[0].when.regex: invalid regular expression "
              "/lawyer(s/: missing ): lawyer(s (RE2 syntax, which has no backreferences or "
              "lookaround: https://github.com/google/re2/wiki/Syntax)");
}

TEST_CASE("a keyword that is not strict UTF-8 is refused at its position") {
  // An overlong '/', a surrogate and a code point above U+10FFFF, written as raw bytes.
  auto errors = errors_of(kHead + "rules:\n  - name: bytes\n" +
                          "    when: {keywords: [ok, \"\xC0\xAF\", \"\xED\xA0\x80\", "
                          "\"\xF4\x90\x80\x80\"]}\n" +
                          "    then: {queue: general}\n" + "  - name: default\n" +
                          "    then: {queue: general}\n");
  CHECK(errors.size() == 3);
  CHECK_ERROR(errors, "t.yaml:17:27: rules[0].when.keywords[1]: keyword is not valid UTF-8");
  CHECK_ERROR(errors, "t.yaml:17:33: rules[0].when.keywords[2]: keyword is not valid UTF-8");
  CHECK_ERROR(errors, "t.yaml:17:40: rules[0].when.keywords[3]: keyword is not valid UTF-8");
}

TEST_CASE("a backreference or a lookaround is refused at its position, as not RE2 syntax") {
  auto errors = errors_of(kHead + R"(rules:
  - name: repeated
    when: {regex: '(a)\1'}
    then: {queue: general}
  - name: lookahead
    when: {regex: 'refund(?=ed)'}
    then: {queue: general}
  - name: lookbehind
    when: {regex: '(?<!no )refund'}
    then: {queue: general}
  - name: default
    then: {queue: general}
)");
  CHECK(errors.size() == 3);
  CHECK_ERROR(errors,
              "t.yaml:17:19: rules[0].when.regex: invalid regular expression /(a)\\1/: invalid "
              "escape sequence: \\1 (RE2 syntax, which has no backreferences or lookaround: "
              "https://github.com/google/re2/wiki/Syntax)");
  CHECK_ERROR(errors,
              "t.yaml:20:19: rules[1].when.regex: invalid regular expression /refund(?=ed)/: "
              "invalid perl operator: (?= (RE2 syntax, which has no backreferences or "
              "lookaround: https://github.com/google/re2/wiki/Syntax)");
  CHECK_ERROR(errors,
              "t.yaml:23:19: rules[2].when.regex: invalid regular expression /(?<!no )refund/: "
              "invalid perl operator: (?< (RE2 syntax, which has no backreferences or "
              "lookaround: https://github.com/google/re2/wiki/Syntax)");
}

TEST_CASE("a regex too large to compile within its memory budget is refused at its position") {
  auto errors = errors_of(kHead + R"(tier_rules:
  - name: letters
    when: {regex: '\pL{1000}'}
    set_tier: vip
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:17:19: tier_rules[0].when.regex: invalid regular expression "
              "/\\pL{1000}/: pattern too large - compile failed (RE2 syntax, which has no "
              "backreferences or lookaround: https://github.com/google/re2/wiki/Syntax)");
}

TEST_CASE("escalation steps must be in increasing order and each must do something") {
  auto errors = errors_of(kHead + R"(    escalation:
      - after_secs: 120
        raise_priority_by: 5
      - after_secs: 60
        lower_min_level_by: 1
      - after_secs: 300
      - after_secs: 400
        also_offer_to: [general]
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:18:21: queues[0].escalation[1].after_secs: steps must be in "
              "increasing after_secs order");
  CHECK_ERROR(errors,
              "t.yaml:20:9: queues[0].escalation[2]: a step needs lower_min_level_by, "
              "also_offer_to or raise_priority_by");
  CHECK_ERROR(errors,
              "t.yaml:22:25: queues[0].escalation[3].also_offer_to[0]: a queue cannot also "
              "offer to itself");
}

TEST_CASE("exactly one tier must be the default") {
  auto errors = errors_of(R"(version: 1
tiers:
  - name: standard
    priority: 0
    first_response_secs: {default: 900}
queues: [{name: general}]
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:3:3: tiers: no tier has 'default: true'; exactly one tier must be "
              "the default");
}

TEST_CASE("business hours refuse bad windows, weekdays, dates, zones and out-of-hours targets") {
  auto errors = errors_of(kHead + R"(    business_hours:
      time_zone: Europe/Atlantis
      weekly:
        mon-fri: ["18:00-09:00"]
        funday: ["09:00-17:00"]
        fri: ["09:00-12:00"]
      holidays: [2025-02-30]
      out_of_hours: {overflow: general}
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:16:18: queues[0].business_hours.time_zone: unknown time zone "
              "'Europe/Atlantis' (no file /usr/share/zoneinfo/Europe/Atlantis)");
  CHECK_ERROR(errors,
              "t.yaml:18:19: queues[0].business_hours.weekly.mon-fri[0]: expected hours like "
              "'09:00-18:00' (end after start; use 24:00 for midnight), got '18:00-09:00'");
  CHECK_ERROR(errors,
              "t.yaml:19:9: queues[0].business_hours.weekly.funday: expected a weekday "
              "(mon..sun), a range (mon-fri) or 'daily'");
  CHECK_ERROR(errors,
              "t.yaml:20:9: queues[0].business_hours.weekly.fri: a weekday is given twice "
              "(in 'fri')");
  CHECK_ERROR(errors,
              "t.yaml:21:18: queues[0].business_hours.holidays[0]: expected a date "
              "YYYY-MM-DD, got '2025-02-30'");
  CHECK_ERROR(errors,
              "t.yaml:22:32: queues[0].business_hours.out_of_hours.overflow: a queue "
              "cannot send its out-of-hours contacts to itself");
}

TEST_CASE("an out-of-hours overflow loop between queues is refused") {
  auto errors = errors_of(kHead + R"(    business_hours:
      weekly: {mon-fri: "09:00-17:00"}
      out_of_hours: {overflow: backup}
  - name: backup
    business_hours:
      weekly: {mon-fri: "09:00-17:00"}
      out_of_hours: {overflow: general}
rules:
  - name: sms
    when: {channels: sms}
    then: {queue: backup}
  - name: default
    then: {queue: other}
)");
  CHECK_ERROR(errors,
              "t.yaml:17:21: queues[0].business_hours.out_of_hours: overflow goes round "
              "in a loop back to 'general'; end the chain with wait or after_hours_queue");
}

TEST_CASE("the default rule's queue must take every channel") {
  auto errors = errors_of(kHead + R"(    channels: [sms]
)" + kDefaultRule);
  CHECK_ERROR(errors,
              "t.yaml:17:5: rules[0]: the default rule's queue 'general' must accept every "
              "channel (remove its 'channels')");
}

TEST_CASE("a YAML syntax error is reported with its position") {
  auto errors = errors_of("version: 1\ntiers: [unclosed\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::StartsWith("t.yaml:3:1: YAML syntax error:"));
}

TEST_CASE("missing sections are each reported, all at once") {
  auto errors = errors_of("version: 1\n");
  CHECK_ERROR(errors, "t.yaml:1:1: missing required key 'tiers'");
  CHECK_ERROR(errors, "t.yaml:1:1: missing required key 'queues'");
  CHECK_ERROR(errors, "t.yaml:1:1: missing required key 'rules'");
}

TEST_CASE("a tier rule needs a condition and may not test tiers") {
  auto errors = errors_of(kHead + R"(tier_rules:
  - name: all
    when: {}
    set_tier: vip
  - name: circular
    when: {tiers: [vip]}
    set_tier: gold
)" + kDefaultRule);
  CHECK_ERROR(errors, "t.yaml:17:11: tier_rules[0].when: a tier rule needs at least one condition");
  CHECK_ERROR(errors, "t.yaml:20:12: tier_rules[1].when: unknown key 'tiers'");
  CHECK_ERROR(errors, "t.yaml:21:15: tier_rules[1].set_tier: unknown tier 'gold'");
}

TEST_CASE("a file that is too large is refused before parsing") {
  std::string huge(kMaxRulesFileBytes + 1, '#');
  auto errors = errors_of(huge);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("file is larger than"));
}

TEST_CASE("loading a rules file that does not exist names the path") {
  auto r = load_rules_file("tests/data/rules/no-such-file.yaml");
  REQUIRE_FALSE(r.has_value());
  CHECK_THAT(r.error().message, Catch::Contains("no-such-file.yaml: cannot open"));
}

TEST_CASE("a declared agent starts offline unless the file says initial_presence: available") {
  auto parsed = parse_rules(kHead + R"(agents:
  - id: ana
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
    initial_presence: available
  - id: bob
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
  - id: cy
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
    initial_presence: offline
)" + kDefaultRule,
                            "t.yaml");
  REQUIRE(parsed.errors.empty());
  CHECK(parsed.rules->initially_available == std::set<std::string>{"ana"});
}

TEST_CASE("an initial_presence other than offline or available is refused where it is written") {
  auto errors = errors_of(kHead + R"(agents:
  - id: ana
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
    initial_presence: away
)" + kDefaultRule);
  CHECK_ERROR(
      errors,
      "t.yaml:20:23: agents[0].initial_presence: expected offline or available, got 'away'");
}
