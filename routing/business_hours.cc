// Local time for routing: IANA zones through Google cctz, business hours, ISO 8601. Civil-date
// arithmetic uses C++20 <chrono> calendar types, which g++ 12 has.
#include "routing/business_hours.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace omniroute::routing {
namespace chr = std::chrono;

namespace {

constexpr std::int64_t kSecsPerDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t days_from_civil(int y, int m, int d) {
  return chr::sys_days(chr::year{y} / chr::month{static_cast<unsigned>(m)} /
                       chr::day{static_cast<unsigned>(d)})
      .time_since_epoch()
      .count();
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool plausible_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

// "<before>'<name>'<after>", built by appending: GCC 12 at -O2 reports a false -Wrestrict on
// `"literal" + std::string(...)`, which inserts at the front of the temporary.
std::string quoted_in(std::string_view before, std::string_view name, std::string_view after) {
  std::string text;
  text.reserve(before.size() + name.size() + after.size() + 2);
  text.append(before).append(1, '\'').append(name).append(1, '\'').append(after);
  return text;
}

}  // namespace

// ---- TimeZone ----

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const std::shared_ptr<const TimeZone> zone = [] {
    auto tz = std::make_shared<TimeZone>();
    tz->name_ = "UTC";
    tz->zone_ = cctz::utc_time_zone();
    return std::shared_ptr<const TimeZone>(std::move(tz));
  }();
  return zone;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::load(std::string_view name) {
  if (name == "UTC") return utc();
  // The name check also keeps cctz's own forms out: "file:<path>", "libc:<zone>", "Fixed/UTC+...".
  if (!plausible_zone_name(name)) {
    return make_error(Errc::invalid_input, quoted_in("", name, " is not an IANA time zone name"));
  }
  auto tz = std::make_shared<TimeZone>();
  tz->name_ = std::string(name);
  if (!cctz::load_time_zone(tz->name_, &tz->zone_)) {
    // cctz says only "no"; name the file it looked for, as cctz does ($TZDIR, else the default).
    const char* dir = std::getenv("TZDIR");
    const std::string path =
        std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + tz->name_;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      return make_error(Errc::invalid_input,
                        quoted_in("time zone ", name, ": " + path + " is not a valid zone file"));
    }
    return make_error(Errc::invalid_input,
                      quoted_in("unknown time zone ", name, " (no file " + path + ")"));
  }
  return std::shared_ptr<const TimeZone>(std::move(tz));
}

std::int32_t TimeZone::utc_offset_at(std::int64_t unix_secs) const {
  return zone_.lookup(cctz::time_point<cctz::seconds>(cctz::seconds(unix_secs))).offset;
}

std::optional<std::int64_t> TimeZone::next_change_after(std::int64_t unix_secs) const {
  cctz::time_zone::civil_transition change;
  if (!zone_.next_transition(cctz::time_point<cctz::seconds>(cctz::seconds(unix_secs)), &change)) {
    return std::nullopt;
  }
  return zone_.lookup(change.to).trans.time_since_epoch().count();
}

LocalTime TimeZone::to_local(TimePoint unix_ms) const {
  // Years 1..9999 keep every field in range whatever an event claims.
  unix_ms = std::clamp<TimePoint>(unix_ms, -62'135'596'800'000, 253'402'300'799'999);
  const auto at =
      zone_.lookup(cctz::time_point<cctz::seconds>(cctz::seconds(floor_div(unix_ms, 1000))));
  LocalTime t;
  t.year = static_cast<int>(at.cs.year());
  t.month = at.cs.month();
  t.day = at.cs.day();
  // cctz::weekday runs monday = 0 … sunday = 6, the ISO order LocalTime uses.
  t.weekday = static_cast<int>(cctz::get_weekday(cctz::civil_day(at.cs)));
  t.minute_of_day = at.cs.hour() * 60 + at.cs.minute();
  t.second = at.cs.second();
  t.utc_offset_secs = at.offset;
  return t;
}

// ---- Business hours ----

bool BusinessHours::is_open(TimePoint now) const {
  LocalTime t = (zone ? zone : TimeZone::utc())->to_local(now);
  if (holidays.count(t.date_key())) return false;
  for (const auto& w : weekly[static_cast<std::size_t>(t.weekday)]) {
    if (t.minute_of_day >= w.start_minute && t.minute_of_day < w.end_minute) return true;
  }
  return false;
}

// Local time runs straight between window edges and midnights, so the state can only change at
// one of them (or at a clock change): jump from edge to edge until the state differs.
std::optional<TimePoint> next_transition(const BusinessHours& hours, TimePoint now,
                                         int horizon_days) {
  const TimeZone& zone = hours.zone ? *hours.zone : *TimeZone::utc();
  const bool open_now = hours.is_open(now);
  const TimePoint horizon = now + std::int64_t{horizon_days} * kSecsPerDay * 1000;
  TimePoint t = now;
  while (t < horizon) {
    const LocalTime local = zone.to_local(t);
    int edge = 1440;  // next midnight
    for (const auto& w : hours.weekly[static_cast<std::size_t>(local.weekday)]) {
      if (w.start_minute > local.minute_of_day) edge = std::min(edge, w.start_minute);
      if (w.end_minute > local.minute_of_day) edge = std::min(edge, w.end_minute);
    }
    const std::int64_t secs = floor_div(t, 1000);
    const std::int64_t into_minute = (t - secs * 1000) + std::int64_t{local.second} * 1000;
    TimePoint next = t + std::int64_t{edge - local.minute_of_day} * 60'000 - into_minute;
    // Compared in seconds: a change may lie far ahead, beyond what milliseconds can hold.
    if (auto change = zone.next_change_after(secs); change && *change <= floor_div(next, 1000)) {
      next = std::min(next, *change * 1000);
    }
    if (hours.is_open(next) != open_now) return next;
    t = next;
  }
  return std::nullopt;
}

std::optional<int> parse_clock_minutes(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = parse_int(s.substr(0, 2));
  auto m = parse_int(s.substr(3, 2));
  if (!h || !m || *m > 59 || *h > 24 || (*h == 24 && *m != 0)) return std::nullopt;
  return *h * 60 + *m;
}

std::optional<DailyWindow> parse_daily_window(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto start = parse_clock_minutes(text.substr(0, dash));
  auto end = parse_clock_minutes(text.substr(dash + 1));
  if (!start || !end || *start == 1440) return std::nullopt;
  return DailyWindow{*start, *end};
}

std::optional<int> parse_date_key(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto y = parse_int(s.substr(0, 4));
  auto m = parse_int(s.substr(5, 2));
  auto d = parse_int(s.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *d < 1 || !(chr::year{*y} / *m / *d).ok()) return std::nullopt;
  return *y * 10000 + *m * 100 + *d;
}

std::optional<std::vector<int>> parse_weekdays(std::string_view text) {
  static constexpr std::string_view kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  auto index = [](std::string_view n) -> std::optional<int> {
    for (int i = 0; i < 7; ++i) {
      if (kNames[i] == n) return i;
    }
    return std::nullopt;
  };
  if (text == "daily") return std::vector<int>{0, 1, 2, 3, 4, 5, 6};
  auto dash = text.find('-');
  auto first = index(text.substr(0, dash));
  if (!first) return std::nullopt;
  if (dash == std::string_view::npos) return std::vector<int>{*first};
  auto last = index(text.substr(dash + 1));
  if (!last) return std::nullopt;
  std::vector<int> days;
  for (int d = *first;; d = (d + 1) % 7) {
    days.push_back(d);
    if (d == *last) break;
  }
  return days;
}

// ---- ISO 8601 ----

std::string format_iso8601_utc(TimePoint unix_ms) {
  std::int64_t secs = floor_div(unix_ms, 1000);
  int ms = static_cast<int>(unix_ms - secs * 1000);
  LocalTime t = TimeZone::utc()->to_local(unix_ms);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day,
                        t.minute_of_day / 60, t.minute_of_day % 60, t.second);
  std::string out(buf, static_cast<std::size_t>(n));
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", ms);
    out += buf;
  }
  return out + "Z";
}

std::optional<TimePoint> parse_iso8601(std::string_view s) {
  if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  auto date = parse_date_key(s.substr(0, 10));
  auto h = parse_int(s.substr(11, 2));
  auto mi = parse_int(s.substr(14, 2));
  auto se = parse_int(s.substr(17, 2));
  if (!date || !h || !mi || !se || *h > 23 || *mi > 59 || *se > 59) return std::nullopt;
  std::size_t i = 19;
  int ms = 0;
  if (s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 9) return std::nullopt;
    auto frac = std::string(s.substr(start, i - start)) + "00";
    ms = *parse_int(std::string_view(frac).substr(0, 3));
  }
  std::int64_t offset = 0;
  auto zone = s.substr(i);
  if (zone != "Z") {
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
      return std::nullopt;
    }
    auto oh = parse_int(zone.substr(1, 2));
    auto om = parse_int(zone.substr(4, 2));
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = (zone[0] == '-' ? -1 : 1) * (*oh * 3600 + *om * 60);
  }
  std::int64_t days = days_from_civil(*date / 10000, *date / 100 % 100, *date % 100);
  std::int64_t secs = days * kSecsPerDay + *h * 3600 + *mi * 60 + *se - offset;
  return secs * 1000 + ms;
}

}  // namespace omniroute::routing
