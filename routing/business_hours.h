// Local time for routing: IANA time zones from the system's tz database (through Google cctz),
// weekly business hours with holidays, and the ISO 8601 helpers the dry-run tools print and read.
#pragma once

#include <cctz/time_zone.h>

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

// One IANA zone, loaded by Google cctz from the system's zone files (the tzdata package). g++ 12's
// libstdc++ has no std::chrono::locate_zone. Immutable once loaded; lookups take no lock.
class TimeZone {
 public:
  // Loads "Asia/Shanghai" from $TZDIR or /usr/share/zoneinfo; cctz keeps loaded zones per process.
  static Result<std::shared_ptr<const TimeZone>> load(std::string_view name);
  // The zone with a fixed offset of zero and no rules ("UTC").
  static std::shared_ptr<const TimeZone> utc();

  const std::string& name() const { return name_; }
  std::int32_t utc_offset_at(std::int64_t unix_secs) const;
  LocalTime to_local(TimePoint unix_ms) const;
  // The first unix second after `unix_secs` at which the zone's rules change (usually its UTC
  // offset: a clock change); nullopt when there is none.
  std::optional<std::int64_t> next_change_after(std::int64_t unix_secs) const;

 private:
  std::string name_;
  cctz::time_zone zone_;  // a handle to cctz's per-process zone; copying it is cheap
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
