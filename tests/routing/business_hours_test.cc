// Business hours and time zones: local time from the system's zone files through cctz (clock
// changes, years past the zone file's table), weekly windows, holidays, and the ISO 8601 helpers
// the dry-run tools use.
#include "routing/business_hours.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

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

// A private zone directory in $TZDIR for one test case; the previous $TZDIR comes back after.
// cctz keeps every zone it loaded (or failed to load) by name, so each test zone needs its own.
class ScopedTzdir {
 public:
  ScopedTzdir()
      : dir_(std::filesystem::temp_directory_path() /
             ("omniroute-tzdir-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    if (const char* old = std::getenv("TZDIR")) old_ = old;
    ::setenv("TZDIR", dir_.c_str(), 1);
  }
  ~ScopedTzdir() {
    if (old_) {
      ::setenv("TZDIR", old_->c_str(), 1);
    } else {
      ::unsetenv("TZDIR");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScopedTzdir(const ScopedTzdir&) = delete;
  ScopedTzdir& operator=(const ScopedTzdir&) = delete;

  void write(const std::string& name, const std::string& bytes) const {
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_;
};

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

TEST_CASE("zones are read from $TZDIR when it is set") {
  ScopedTzdir tzdir;
  std::ifstream in("/usr/share/zoneinfo/America/New_York", std::ios::binary);
  REQUIRE(in);
  tzdir.write("Test/Eastern", std::string(std::istreambuf_iterator<char>(in), {}));
  auto z = TimeZone::load("Test/Eastern");
  REQUIRE(z.has_value());
  CHECK((*z)->name() == "Test/Eastern");
  CHECK((*z)->utc_offset_at(1741503599) == -5 * 3600);
  CHECK((*z)->utc_offset_at(1741503600) == -4 * 3600);
  // Not in this $TZDIR. No other test loads it: cctz remembers a failed name for the process.
  CHECK_FALSE(TimeZone::load("Asia/Ho_Chi_Minh").has_value());
}

TEST_CASE("damaged zone files and unknown zone names are refused with a reason") {
  {
    ScopedTzdir tzdir;
    tzdir.write("Test/Truncated", "TZif2");
    auto truncated = TimeZone::load("Test/Truncated");
    REQUIRE_FALSE(truncated.has_value());
    CHECK_THAT(truncated.error().message,
               Catch::Contains("time zone 'Test/Truncated': " + tzdir.path("Test/Truncated") +
                               " is not a valid zone file"));
    tzdir.write("Test/Text", "Etc/UTC\n");
    CHECK_FALSE(TimeZone::load("Test/Text").has_value());
  }
  auto missing = TimeZone::load("Mars/Olympus_Mons");
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message, Catch::Contains("unknown time zone 'Mars/Olympus_Mons'"));
  auto escape = TimeZone::load("../../etc/passwd");
  REQUIRE_FALSE(escape.has_value());
  CHECK_THAT(escape.error().message, Catch::Contains("not an IANA time zone name"));
  // cctz's own name forms are not IANA names either.
  CHECK_FALSE(TimeZone::load("file:/etc/passwd").has_value());
  CHECK_FALSE(TimeZone::load("libc:localtime").has_value());
  CHECK_FALSE(TimeZone::load("Fixed/UTC+08:00:00").has_value());
  CHECK_FALSE(TimeZone::load("America").has_value());  // a directory, not a zone
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

TEST_CASE("New York's spring-forward hour does not exist: 01:59:59 EST is followed by 03:00 EDT") {
  auto ny = zone("America/New_York");
  LocalTime before = ny->to_local(at("2025-03-09T06:59:59Z"));
  CHECK(before.minute_of_day == 60 + 59);
  CHECK(before.second == 59);
  CHECK(before.utc_offset_secs == -5 * 3600);
  LocalTime after = ny->to_local(at("2025-03-09T07:00:00Z"));
  CHECK(after.minute_of_day == 3 * 60);
  CHECK(after.second == 0);
  CHECK(after.utc_offset_secs == -4 * 3600);
  CHECK(after.date_key() == 20250309);
  CHECK(after.weekday == 6);  // Sunday
  // A Sunday window inside the skipped hour never opens that day; the next opening is a week on.
  BusinessHours h;
  h.zone = ny;
  h.weekly[6].push_back(*parse_daily_window("02:00-03:00"));
  CHECK(next_transition(h, at("2025-03-08T12:00:00Z")) == at("2025-03-16T02:00:00-04:00"));
}

TEST_CASE("New York's fall-back hour comes twice, and a window over it stays open through both") {
  auto ny = zone("America/New_York");
  LocalTime first = ny->to_local(at("2025-11-02T05:30:00Z"));
  LocalTime second = ny->to_local(at("2025-11-02T06:30:00Z"));
  CHECK(first.minute_of_day == 90);  // 01:30 EDT
  CHECK(first.utc_offset_secs == -4 * 3600);
  CHECK(second.minute_of_day == 90);  // 01:30 EST
  CHECK(second.utc_offset_secs == -5 * 3600);
  BusinessHours h;
  h.zone = ny;
  h.weekly[6].push_back(*parse_daily_window("01:00-02:00"));
  CHECK(next_transition(h, at("2025-11-02T04:30:00Z")) == at("2025-11-02T05:00:00Z"));  // 01:00 EDT
  CHECK(h.is_open(at("2025-11-02T06:15:00Z")));  // 01:15 EST, the second time round
  CHECK(next_transition(h, at("2025-11-02T05:00:00Z")) == at("2025-11-02T07:00:00Z"));  // 02:00 EST
}

TEST_CASE("Europe/London is on BST from the last Sunday of March to the last Sunday of October") {
  auto london = zone("Europe/London");
  CHECK(london->utc_offset_at(1743296399) == 0);     // 2025-03-30T00:59:59Z, 00:59:59 GMT
  CHECK(london->utc_offset_at(1743296400) == 3600);  // 02:00 BST
  CHECK(london->utc_offset_at(1761440399) == 3600);  // 2025-10-26T00:59:59Z, 01:59:59 BST
  CHECK(london->utc_offset_at(1761440400) == 0);     // back to 01:00 GMT
  BusinessHours h = office_hours("Europe/London", "09:00-17:00");
  CHECK_FALSE(h.is_open(at("2025-03-28T08:30:00Z")));  // Friday 08:30 GMT
  CHECK(h.is_open(at("2025-03-31T08:30:00Z")));        // Monday 09:30 BST
  CHECK(next_transition(h, at("2025-03-28T17:00:00Z")) == at("2025-03-31T08:00:00Z"));
  CHECK(next_transition(h, at("2025-10-24T12:00:00Z")) == at("2025-10-24T16:00:00Z"));  // 17:00 BST
  CHECK(next_transition(h, at("2025-10-24T16:00:00Z")) == at("2025-10-27T09:00:00Z"));  // 09:00 GMT
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
