// Local time for routing: TZif zones (transition table + POSIX footer rule), business hours,
// ISO 8601. Civil-date arithmetic uses C++20 <chrono> calendar types, which g++ 12 has.
#include "routing/business_hours.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

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

chr::year_month_day civil_from_days(std::int64_t days) {
  return chr::year_month_day(chr::sys_days(chr::days(days)));
}

bool is_leap(int y) {
  return chr::year{y}.is_leap();
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// 0 = Sunday … 6 = Saturday (the POSIX TZ convention).
int sunday_weekday(std::int64_t days) {
  return static_cast<int>(chr::weekday(chr::sys_days(chr::days(days))).c_encoding());
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A cursor over the bytes of a TZif file; every read is bounds-checked.
struct ByteReader {
  std::string_view bytes;
  std::size_t pos = 0;
  bool ok = true;
  std::int64_t read_be(int width) {
    if (pos + static_cast<std::size_t>(width) > bytes.size()) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[pos++]);
    if (width == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    if (width == 1) return static_cast<std::int64_t>(v);
    return static_cast<std::int64_t>(v);
  }
  void skip(std::size_t n) {
    if (pos + n > bytes.size()) ok = false;
    pos = std::min(bytes.size(), pos + n);
  }
};

struct TzifCounts {
  std::int64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

std::optional<TzifCounts> read_header(ByteReader& r, char* version) {
  if (r.bytes.substr(r.pos, 4) != "TZif") return std::nullopt;
  r.skip(4);
  *version = r.pos < r.bytes.size() ? r.bytes[r.pos] : '\0';
  r.skip(16);
  TzifCounts c{r.read_be(4), r.read_be(4), r.read_be(4), r.read_be(4), r.read_be(4), r.read_be(4)};
  const std::int64_t limit = 1 << 20;
  for (auto n : {c.isutcnt, c.isstdcnt, c.leapcnt, c.timecnt, c.typecnt, c.charcnt}) {
    if (n < 0 || n > limit) return std::nullopt;
  }
  if (!r.ok || c.typecnt == 0) return std::nullopt;
  return c;
}

std::size_t block_size(const TzifCounts& c, int time_width) {
  return static_cast<std::size_t>(c.timecnt * time_width + c.timecnt + c.typecnt * 6 + c.charcnt +
                                  c.leapcnt * (time_width + 4) + c.isstdcnt + c.isutcnt);
}

}  // namespace

// ---- POSIX TZ rule (the TZif footer), e.g. "EST5EDT,M3.2.0,M11.1.0" or "CST-8" ----

struct TimeZone::PosixRule {
  struct Boundary {
    char kind = 'M';  // 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day)
    int a = 0, b = 0, c = 0;
    std::int32_t secs = 7200;  // local time of the change, default 02:00
  };
  std::int32_t std_offset = 0;  // seconds east of UTC
  std::int32_t dst_offset = 0;
  bool has_dst = false;
  Boundary start, end;

  static std::optional<PosixRule> parse(std::string_view s);
  std::int32_t offset_at(std::int64_t unix_secs) const;

 private:
  std::int64_t boundary_utc(int year, const Boundary& b, std::int32_t offset_before) const;
};

namespace {

struct PosixCursor {
  std::string_view s;
  std::size_t i = 0;
  bool at_end() const { return i >= s.size(); }
  char peek() const { return at_end() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  std::optional<int> number() {
    std::size_t start = i;
    while (!at_end() && s[i] >= '0' && s[i] <= '9' && i - start < 4) ++i;
    return parse_int(s.substr(start, i - start));
  }
  bool name() {
    if (eat('<')) {
      while (!at_end() && s[i] != '>') ++i;
      return eat('>');
    }
    std::size_t start = i;
    while (!at_end() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) ++i;
    return i - start >= 3;
  }
  // [+-]hh[:mm[:ss]] → seconds, sign as written.
  std::optional<std::int32_t> hms() {
    int sign = 1;
    if (eat('-'))
      sign = -1;
    else
      eat('+');
    auto h = number();
    if (!h || *h > 167) return std::nullopt;
    std::int32_t secs = *h * 3600;
    for (int scale : {60, 1}) {
      if (!eat(':')) break;
      auto v = number();
      if (!v || *v > 59) return std::nullopt;
      secs += *v * scale;
    }
    return sign * secs;
  }
};

}  // namespace

std::optional<TimeZone::PosixRule> TimeZone::PosixRule::parse(std::string_view s) {
  PosixCursor c{s};
  PosixRule rule;
  if (!c.name()) return std::nullopt;
  auto std_off = c.hms();
  if (!std_off) return std::nullopt;
  rule.std_offset = -*std_off;  // POSIX offsets are west-positive
  if (c.at_end()) return rule;
  if (!c.name()) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (c.peek() != ',' && !c.at_end()) {
    auto dst_off = c.hms();
    if (!dst_off) return std::nullopt;
    rule.dst_offset = -*dst_off;
  }
  auto boundary = [&c](Boundary& b) {
    if (!c.eat(',')) return false;
    std::optional<int> n;
    if (c.eat('J')) {
      b.kind = 'J';
      n = c.number();
      if (!n || *n < 1 || *n > 365) return false;
      b.a = *n;
    } else if (c.eat('M')) {
      b.kind = 'M';
      auto m = c.number();
      if (!m || *m < 1 || *m > 12 || !c.eat('.')) return false;
      auto w = c.number();
      if (!w || *w < 1 || *w > 5 || !c.eat('.')) return false;
      auto d = c.number();
      if (!d || *d > 6) return false;
      b.a = *m, b.b = *w, b.c = *d;
    } else {
      b.kind = 'D';
      n = c.number();
      if (!n || *n > 365) return false;
      b.a = *n;
    }
    if (c.eat('/')) {
      auto t = c.hms();
      if (!t) return false;
      b.secs = *t;
    }
    return true;
  };
  if (!boundary(rule.start) || !boundary(rule.end) || !c.at_end()) return std::nullopt;
  return rule;
}

std::int64_t TimeZone::PosixRule::boundary_utc(int year, const Boundary& b,
                                               std::int32_t offset_before) const {
  std::int64_t day = days_from_civil(year, 1, 1);
  if (b.kind == 'J') {
    day += b.a - 1 + ((is_leap(year) && b.a >= 60) ? 1 : 0);
  } else if (b.kind == 'D') {
    day += b.a;
  } else {
    std::int64_t first = days_from_civil(year, b.a, 1);
    int dom = 1 + (b.c - sunday_weekday(first) + 7) % 7 + (b.b - 1) * 7;
    while (dom > days_in_month(year, b.a)) dom -= 7;
    day = first + dom - 1;
  }
  return day * kSecsPerDay + b.secs - offset_before;
}

std::int32_t TimeZone::PosixRule::offset_at(std::int64_t unix_secs) const {
  if (!has_dst) return std_offset;
  int year =
      static_cast<int>(civil_from_days(floor_div(unix_secs + std_offset, kSecsPerDay)).year());
  std::int64_t begin = boundary_utc(year, start, std_offset);
  std::int64_t finish = boundary_utc(year, end, dst_offset);
  bool in_dst = begin < finish ? (unix_secs >= begin && unix_secs < finish)
                               : !(unix_secs >= finish && unix_secs < begin);
  return in_dst ? dst_offset : std_offset;
}

// ---- TimeZone ----

Result<std::shared_ptr<const TimeZone>> TimeZone::from_tzif(std::string name,
                                                            std::string_view bytes) {
  auto bad = [&name](std::string_view why) {
    return make_error(Errc::invalid_input, "time zone " + name + ": " + std::string(why));
  };
  ByteReader r{bytes};
  char version = 0;
  auto counts = read_header(r, &version);
  if (!counts) return bad("not a TZif file");
  int width = 4;
  if (version >= '2') {  // skip the 32-bit block; the 64-bit one follows with its own header
    r.skip(block_size(*counts, 4));
    counts = read_header(r, &version);
    if (!counts) return bad("truncated TZif v2 header");
    width = 8;
  }
  auto tz = std::make_shared<TimeZone>();
  tz->name_ = std::move(name);
  for (std::int64_t i = 0; i < counts->timecnt; ++i) tz->transitions_.push_back(r.read_be(width));
  for (std::int64_t i = 0; i < counts->timecnt; ++i) {
    auto idx = static_cast<std::uint8_t>(r.read_be(1));
    if (idx >= counts->typecnt) return bad("transition type out of range");
    tz->transition_types_.push_back(idx);
  }
  for (std::int64_t i = 0; i < counts->typecnt; ++i) {
    Type t;
    t.utc_offset = static_cast<std::int32_t>(r.read_be(4));
    t.is_dst = r.read_be(1) != 0;
    r.read_be(1);  // abbreviation index: not needed for routing
    tz->types_.push_back(t);
  }
  r.skip(static_cast<std::size_t>(counts->charcnt + counts->leapcnt * (width + 4) +
                                  counts->isstdcnt + counts->isutcnt));
  if (!r.ok) return bad("truncated TZif data");
  if (!std::is_sorted(tz->transitions_.begin(), tz->transitions_.end())) {
    return bad("transitions out of order");
  }
  if (width == 8 && r.pos < bytes.size() && bytes[r.pos] == '\n') {
    auto rest = bytes.substr(r.pos + 1);
    auto footer = rest.substr(0, rest.find('\n'));
    if (!footer.empty()) {
      auto rule = PosixRule::parse(footer);
      if (!rule) return bad("unreadable POSIX TZ footer '" + std::string(footer) + "'");
      tz->footer_ = std::make_shared<const PosixRule>(*rule);
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(tz));
}

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const std::shared_ptr<const TimeZone> zone = [] {
    auto tz = std::make_shared<TimeZone>();
    tz->name_ = "UTC";
    tz->types_.push_back(Type{});
    return std::shared_ptr<const TimeZone>(std::move(tz));
  }();
  return zone;
}

namespace {
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

Result<std::shared_ptr<const TimeZone>> TimeZone::load(std::string_view name) {
  if (name == "UTC") return utc();
  if (!plausible_zone_name(name)) {
    return make_error(Errc::invalid_input, quoted_in("", name, " is not an IANA time zone name"));
  }
  // Zones are loaded at config time only; the cache keeps reloads from re-reading files.
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const char* dir = std::getenv("TZDIR");
  std::string path =
      std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::invalid_input,
                      quoted_in("unknown time zone ", name, " (no file " + path + ")"));
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto zone = from_tzif(std::string(name), bytes);
  if (zone) cache.emplace(std::string(name), *zone);
  return zone;
}

std::int32_t TimeZone::utc_offset_at(std::int64_t unix_secs) const {
  if (transitions_.empty() || unix_secs < transitions_.front()) {
    if (transitions_.empty() && footer_) return footer_->offset_at(unix_secs);
    return types_.front().utc_offset;  // RFC 8536: type 0 before the first transition
  }
  if (unix_secs >= transitions_.back() && footer_) return footer_->offset_at(unix_secs);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), unix_secs);
  auto index = static_cast<std::size_t>(std::distance(transitions_.begin(), it)) - 1;
  return types_[transition_types_[index]].utc_offset;
}

LocalTime TimeZone::to_local(TimePoint unix_ms) const {
  // Years 1..9999 keep the calendar arithmetic in range whatever an event claims.
  unix_ms = std::clamp<TimePoint>(unix_ms, -62'135'596'800'000, 253'402'300'799'999);
  std::int64_t secs = floor_div(unix_ms, 1000);
  LocalTime t;
  t.utc_offset_secs = utc_offset_at(secs);
  std::int64_t local = secs + t.utc_offset_secs;
  std::int64_t days = floor_div(local, kSecsPerDay);
  std::int64_t in_day = local - days * kSecsPerDay;
  auto ymd = civil_from_days(days);
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.weekday = static_cast<int>(chr::weekday(chr::sys_days(chr::days(days))).iso_encoding()) - 1;
  t.minute_of_day = static_cast<int>(in_day / 60);
  t.second = static_cast<int>(in_day % 60);
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

namespace {

// The first unix second in (from, to] whose UTC offset differs from the one at `from`, if any.
std::optional<std::int64_t> offset_change(const TimeZone& zone, std::int64_t from,
                                          std::int64_t to) {
  const std::int32_t offset = zone.utc_offset_at(from);
  if (zone.utc_offset_at(to) == offset) return std::nullopt;  // one change a day at most
  while (to - from > 1) {
    const std::int64_t mid = from + (to - from) / 2;
    (zone.utc_offset_at(mid) == offset ? from : to) = mid;
  }
  return to;
}

}  // namespace

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
    if (auto change = offset_change(zone, secs, floor_div(next, 1000))) {
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
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m)) {
    return std::nullopt;
  }
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
