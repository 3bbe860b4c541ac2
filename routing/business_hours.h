// Local time for routing: IANA time zones read from the system's TZif files, weekly business
// hours with holidays, and the ISO 8601 helpers the dry-run tools print and read.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "routing/model.h"

namespace omniroute::routing {

// A wall-clock reading in some zone. weekday: 0 = Monday … 6 = Sunday (ISO order).
struct LocalTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int weekday = 3;
  int minute_of_day = 0;  // 0..1439
  int second = 0;         // 0..59
  std::int32_t utc_offset_secs = 0;
  int date_key() const { return year * 10000 + month * 100 + day; }  // 20250101
};

// One IANA zone. g++ 12's libstdc++ has no std::chrono::locate_zone, so the zone is read from
// its TZif file (RFC 8536): the transition table, then the POSIX TZ footer rule for times past
// the table's end. Immutable once loaded; lookups take no lock.
class TimeZone {
 public:
  // Loads "Asia/Shanghai" from $TZDIR or /usr/share/zoneinfo; zones are cached per process.
  static Result<std::shared_ptr<const TimeZone>> load(std::string_view name);
  // Parses TZif bytes directly (tests, fuzzing).
  static Result<std::shared_ptr<const TimeZone>> from_tzif(std::string name,
                                                           std::string_view bytes);
  // A zone with a fixed offset and no rules ("UTC").
  static std::shared_ptr<const TimeZone> utc();

  const std::string& name() const { return name_; }
  std::int32_t utc_offset_at(std::int64_t unix_secs) const;
  LocalTime to_local(TimePoint unix_ms) const;

  struct PosixRule;  // the footer's DST rule; defined in the .cc

 private:
  struct Type {
    std::int32_t utc_offset = 0;
    bool is_dst = false;
  };
  std::string name_;
  std::vector<std::int64_t> transitions_;  // unix seconds, ascending
  std::vector<std::uint8_t> transition_types_;
  std::vector<Type> types_;
  std::shared_ptr<const PosixRule> footer_;  // null when the file has none
};

// [start, end) in minutes since local midnight; end may be 1440 ("24:00").
struct DailyWindow {
  int start_minute = 0;
  int end_minute = 0;
  friend bool operator==(const DailyWindow&, const DailyWindow&) = default;
};

// When a queue is staffed: windows per weekday in one zone, minus holiday dates (whole days).
struct BusinessHours {
  std::shared_ptr<const TimeZone> zone;
  std::array<std::vector<DailyWindow>, 7> weekly;  // index 0 = Monday
  std::set<int> holidays;                          // local dates as yyyymmdd
  bool is_open(TimePoint now) const;
};

// The first instant after `now` at which `hours.is_open` changes (an opening or a closing), so the
// daemon can arm one timer and call Engine::set_queue_open then. Follows holidays and clock
// changes; nullopt when the state never changes within `horizon_days` (e.g. no windows at all).
std::optional<TimePoint> next_transition(const BusinessHours& hours, TimePoint now,
                                         int horizon_days = 400);

// Parsers shared by the YAML reader and the tests; each returns nullopt when malformed.
std::optional<int> parse_clock_minutes(std::string_view hh_mm);        // "09:30" → 570, "24:00"
std::optional<DailyWindow> parse_daily_window(std::string_view text);  // "09:00-18:00"
std::optional<int> parse_date_key(std::string_view yyyy_mm_dd);        // "2025-10-01"
// "mon", "mon-fri", "sat-sun", "daily" → weekday indexes (0 = Monday); ranges may wrap.
std::optional<std::vector<int>> parse_weekdays(std::string_view text);

// ISO 8601 in UTC with milliseconds when non-zero: "2025-01-06T09:15:00Z".
std::string format_iso8601_utc(TimePoint unix_ms);
// "2025-01-06T09:15:00Z", "...T09:15:00.250Z", "...T17:15:00+08:00".
std::optional<TimePoint> parse_iso8601(std::string_view text);

}  // namespace omniroute::routing
