// Business hours and time zones: local time from TZif files (incl. DST and the POSIX footer
// rule), weekly windows, holidays, and the ISO 8601 helpers the dry-run tools use.
#include "routing/business_hours.h"

#include <catch2/catch.hpp>

using namespace omniroute::routing;

namespace {

TimePoint at(const char* iso) {
  auto t = parse_iso8601(iso);
  REQUIRE(t.has_value());
  return *t;
}

std::shared_ptr<const TimeZone> zone(const char* name) {
  auto z = TimeZone::load(name);
  REQUIRE(z.has_value());
  return *z;
}

BusinessHours office_hours(const char* tz, const char* window) {
  BusinessHours h;
  h.zone = zone(tz);
  for (int d = 0; d < 5; ++d)
    h.weekly[static_cast<std::size_t>(d)].push_back(*parse_daily_window(window));
  return h;
}

// A TZif v2 file with no transitions and only a footer rule, to reach the footer code path
// whatever the installed tzdata contains.
std::string footer_only_tzif(const std::string& footer) {
  auto header = [](std::string& out) {
    out += "TZif2";
    out.append(15, '\0');
    for (int count : {0, 0, 0, 0, 1, 4}) {  // isut, isstd, leap, time, type, char
      out += std::string{'\0', '\0', '\0', static_cast<char>(count)};
    }
  };
  std::string out;
  header(out);
  out += std::string("\xff\xff\xb9\xb0\0\0", 6) + std::string("EST\0", 4);  // -18000, std
  header(out);
  out += std::string("\xff\xff\xb9\xb0\0\0", 6) + std::string("EST\0", 4);
  out += "\n" + footer + "\n";
  return out;
}

}  // namespace

TEST_CASE("ISO 8601 times parse to unix milliseconds and print back in UTC") {
  CHECK(parse_iso8601("2025-01-06T10:00:00Z") == 1736157600000);
  CHECK(parse_iso8601("2025-01-06T18:00:00+08:00") == 1736157600000);
  CHECK(parse_iso8601("2025-01-06T05:00:00-05:00") == 1736157600000);
  CHECK(parse_iso8601("2025-01-06T10:00:00.250Z") == 1736157600250);
  CHECK(format_iso8601_utc(1736157600000) == "2025-01-06T10:00:00Z");
  CHECK(format_iso8601_utc(1736157600250) == "2025-01-06T10:00:00.250Z");
  CHECK_FALSE(parse_iso8601("2025-02-30T10:00:00Z"));
  CHECK_FALSE(parse_iso8601("2025-01-06 10:00:00Z"));
  CHECK_FALSE(parse_iso8601("2025-01-06T10:00:00"));
}

TEST_CASE("Asia/Shanghai is UTC+8 all year") {
  auto sh = zone("Asia/Shanghai");
  for (const char* t : {"2025-01-06T01:00:00Z", "2025-07-01T01:00:00Z"}) {
    LocalTime local = sh->to_local(at(t));
    CHECK(local.utc_offset_secs == 8 * 3600);
    CHECK(local.minute_of_day == 9 * 60);
  }
  LocalTime monday = sh->to_local(at("2025-01-05T16:30:00Z"));  // 00:30 Monday in Shanghai
  CHECK(monday.weekday == 0);
  CHECK(monday.date_key() == 20250106);
}

TEST_CASE("America/New_York switches to daylight time at 2am on the second Sunday of March") {
  auto ny = zone("America/New_York");
  CHECK(ny->utc_offset_at(1741503599) == -5 * 3600);  // 2025-03-09T06:59:59Z, 01:59:59 EST
  CHECK(ny->utc_offset_at(1741503600) == -4 * 3600);  // 03:00 EDT
  CHECK(ny->utc_offset_at(1762063199) == -4 * 3600);  // 2025-11-02T05:59:59Z, 01:59:59 EDT
  CHECK(ny->utc_offset_at(1762063200) == -5 * 3600);  // back to 01:00 EST
}

TEST_CASE("New York daylight time is right decades ahead, past the zone file's table") {
  auto ny = zone("America/New_York");
  CHECK(ny->utc_offset_at(2215061999) == -5 * 3600);  // 2040-03-11T06:59:59Z
  CHECK(ny->utc_offset_at(2215062000) == -4 * 3600);
  CHECK(ny->utc_offset_at(2235621600) == -5 * 3600);  // 2040-11-04T06:00:00Z
}

TEST_CASE("a zone file's POSIX footer rule decides when it has no transitions") {
  auto z = TimeZone::from_tzif("Test/Eastern", footer_only_tzif("EST5EDT,M3.2.0,M11.1.0"));
  REQUIRE(z.has_value());
  CHECK((*z)->utc_offset_at(1741503599) == -5 * 3600);
  CHECK((*z)->utc_offset_at(1741503600) == -4 * 3600);
  auto fixed = TimeZone::from_tzif("Test/Fixed", footer_only_tzif("<+08>-8"));
  REQUIRE(fixed.has_value());
  CHECK((*fixed)->utc_offset_at(0) == 8 * 3600);
}

TEST_CASE("damaged zone files and unknown zone names are refused with a reason") {
  CHECK_FALSE(TimeZone::from_tzif("x", "TZif2").has_value());
  CHECK_FALSE(TimeZone::from_tzif("x", footer_only_tzif("EST5EDT,M13.2.0,M11.1.0")).has_value());
  auto missing = TimeZone::load("Mars/Olympus_Mons");
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message, Catch::Contains("unknown time zone 'Mars/Olympus_Mons'"));
  auto escape = TimeZone::load("../../etc/passwd");
  REQUIRE_FALSE(escape.has_value());
  CHECK_THAT(escape.error().message, Catch::Contains("not an IANA time zone name"));
}

TEST_CASE("a queue is open inside its weekday windows in its own zone and closed outside") {
  BusinessHours h = office_hours("Asia/Shanghai", "09:00-18:00");
  CHECK(h.is_open(at("2025-01-06T09:00:00+08:00")));  // Monday opening minute
  CHECK_FALSE(h.is_open(at("2025-01-06T08:59:00+08:00")));
  CHECK_FALSE(h.is_open(at("2025-01-06T18:00:00+08:00")));  // the end is exclusive
  CHECK(h.is_open(at("2025-01-10T17:59:59+08:00")));        // Friday
  CHECK_FALSE(h.is_open(at("2025-01-11T12:00:00+08:00")));  // Saturday
}

TEST_CASE("a queue is closed all day on a holiday in its zone") {
  BusinessHours h = office_hours("Asia/Shanghai", "09:00-18:00");
  h.holidays.insert(20251001);
  CHECK_FALSE(h.is_open(at("2025-10-01T10:00:00+08:00")));  // a Wednesday, but a holiday
  CHECK(h.is_open(at("2025-10-02T10:00:00+08:00")));
}

TEST_CASE("a holiday is a date in the queue's zone, not in UTC") {
  BusinessHours h;
  h.zone = zone("Asia/Shanghai");
  for (auto& day : h.weekly) day.push_back(DailyWindow{0, 1440});
  h.holidays.insert(20251001);
  CHECK(h.is_open(at("2025-09-30T15:30:00Z")));        // 23:30 on 30 September in Shanghai
  CHECK_FALSE(h.is_open(at("2025-09-30T16:30:00Z")));  // 00:30 on 1 October in Shanghai
}

TEST_CASE("New York office hours follow the clock change: 13:30Z is 8:30 before and 9:30 after") {
  BusinessHours h = office_hours("America/New_York", "09:00-17:00");
  CHECK_FALSE(h.is_open(at("2025-03-07T13:30:00Z")));  // Friday, EST
  CHECK(h.is_open(at("2025-03-10T13:30:00Z")));        // Monday, EDT
}

TEST_CASE("hours, dates and weekday ranges parse strictly") {
  CHECK(parse_clock_minutes("09:30") == 570);
  CHECK(parse_clock_minutes("24:00") == 1440);
  CHECK_FALSE(parse_clock_minutes("24:01"));
  CHECK_FALSE(parse_clock_minutes("9:30"));
  CHECK(parse_daily_window("09:00-18:00") == DailyWindow{540, 1080});
  CHECK_FALSE(parse_daily_window("09:00"));
  CHECK(parse_date_key("2024-02-29") == 20240229);
  CHECK_FALSE(parse_date_key("2025-02-29"));
  CHECK(parse_weekdays("mon-fri") == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(parse_weekdays("sat-mon") == std::vector<int>{5, 6, 0});
  CHECK(parse_weekdays("daily")->size() == 7);
  CHECK_FALSE(parse_weekdays("monday"));
}
