// HTTP load generator for the ingest benchmark: signed Twilio webhooks (or plain POSTs) over
// keep-alive connections, closed or open loop, reporting throughput and latency percentiles.
//
// Lean by design, because it shares the machine's cores with the server it measures: every
// request is a fixed template whose MessageSid and X-Twilio-Signature bytes are patched in place,
// and the signatures are computed before the timed phase. In open loop (--rate > 0) latency is
// measured from the time a request was scheduled, not sent, so a stalled server cannot hide its
// queueing delay (coordinated omission).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/crypto.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using FormParams = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string url;
  std::string signed_url;  // empty: sign `url`
  std::string token = "bench-auth-token";
  std::size_t connections = 32;
  std::size_t threads = 1;
  double duration_secs = 10;
  double warmup_secs = 2;
  double rate = 0;       // requests/s over all connections; 0 = closed loop
  double tick_us = 100;  // open loop: timers wake on this grid (0: at each request's own time)
  bool plain = false;
  std::size_t payload_bytes = 0;  // 0: a typical SMS form body
  std::size_t presign = 0;        // 0: derived from rate and duration
  bool json = false;
  std::vector<std::string> cpu_of;  // pids whose CPU use over the measured window is reported
};

const char* kUsage = R"(usage: loadgen --url http://HOST:PORT/PATH [options]
  --url URL             target (only http://); also the URL that is signed
  --signed-url URL      sign this URL instead (the daemon's public URL behind a proxy)
  --token TOKEN         Twilio auth token used to sign (default bench-auth-token)
  --connections N       keep-alive connections, one request in flight each (default 32)
  --threads N           client threads (default 1)
  --duration-secs S     measured phase (default 10)
  --warmup-secs S       unmeasured phase before it (default 2)
  --rate R              0 = closed loop (default); >0 = open loop at R requests/s in total,
                        latency measured from each request's scheduled send time
  --tick-us T           open loop: wake on a grid of T microseconds and send every request
                        due by then (default 100; 0 = one wake-up per request). Latency is
                        still measured from the scheduled time, so the wait counts against
                        the server; the client spends far less CPU, which it shares with it
  --plain               unsigned application/octet-stream POST of the same body size
  --payload-bytes N     pad the form body (Body parameter) to about N bytes
  --presign N           signatures computed before the run (default: enough for the run;
                        later requests are signed on the fly and reported as live_signed)
  --cpu-of PID[,PID]    also report the CPU these processes (and the client) used during the
                        measured window, in % of one core
  --json                one JSON object instead of the text line
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "loadgen: " << message << "\n" << kUsage;
  std::exit(2);
}

double parse_number(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value >= 0)) {
    usage_error(flag + " wants a non-negative number, got '" + text + "'");
  }
  return value;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) {
      usage_error("--cpu-of wants process ids separated by commas, got '" + text + "'");
    }
    parts.push_back(part);
  }
  return parts;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(flag + " needs a value");
      return argv[++i];
    };
    auto count = [&] { return static_cast<std::size_t>(parse_number(flag, value())); };
    if (flag == "--url")
      o.url = value();
    else if (flag == "--signed-url")
      o.signed_url = value();
    else if (flag == "--token")
      o.token = value();
    else if (flag == "--connections")
      o.connections = count();
    else if (flag == "--threads")
      o.threads = count();
    else if (flag == "--duration-secs")
      o.duration_secs = parse_number(flag, value());
    else if (flag == "--warmup-secs")
      o.warmup_secs = parse_number(flag, value());
    else if (flag == "--rate")
      o.rate = parse_number(flag, value());
    else if (flag == "--tick-us")
      o.tick_us = parse_number(flag, value());
    else if (flag == "--plain")
      o.plain = true;
    else if (flag == "--payload-bytes")
      o.payload_bytes = count();
    else if (flag == "--presign")
      o.presign = count();
    else if (flag == "--cpu-of")
      o.cpu_of = split_commas(value());
    else if (flag == "--json")
      o.json = true;
    else if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else
      usage_error("unknown option " + flag);
  }
  if (o.url.empty()) usage_error("--url is required");
  if (o.connections == 0 || o.threads == 0) usage_error("--connections and --threads must be >= 1");
  if (o.duration_secs <= 0) usage_error("--duration-secs must be > 0");
  if (o.signed_url.empty()) o.signed_url = o.url;
  return o;
}

struct Target {
  std::string host;
  std::string port;
  std::string path;  // request-target, with the query
};

Target parse_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) usage_error("only http:// URLs are supported: " + url);
  std::string rest = url.substr(kScheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  Target t;
  t.path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  t.host = authority.substr(0, colon);
  t.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (t.host.empty()) usage_error("no host in " + url);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Requests: one template, patched per request

constexpr std::size_t kSidHexDigits = 32;    // "SM" + 32 hex, like a real MessageSid
constexpr std::size_t kSignatureChars = 28;  // base64 of a 20-byte SHA-1 HMAC
using Signature = std::array<char, kSignatureChars>;
const std::string kSidPlaceholder = "SM" + std::string(kSidHexDigits, '0');

std::string form_encode(const FormParams& params) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    for (const std::string* part : {&key, &value}) {
      for (unsigned char c : *part) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
          out.push_back(static_cast<char>(c));
        } else if (c == ' ') {
          out.push_back('+');
        } else {
          out += {'%', kHex[c >> 4], kHex[c & 15]};
        }
      }
      if (part == &key) out.push_back('=');
    }
  }
  return out;
}

// A typical inbound SMS as Twilio posts it (20 parameters); the three sids are placeholders.
FormParams twilio_sms_params(std::size_t payload_bytes) {
  FormParams params = {
      {"ToCountry", "US"},
      {"ToState", "CA"},
      {"SmsMessageSid", kSidPlaceholder},
      {"NumMedia", "0"},
      {"ToCity", "SAN FRANCISCO"},
      {"FromZip", "94105"},
      {"SmsSid", kSidPlaceholder},
      {"FromState", "CA"},
      {"SmsStatus", "received"},
      {"FromCity", "SAN FRANCISCO"},
      {"Body", "Hi, my order #48213 arrived damaged. Can someone call me back today please?"},
      {"FromCountry", "US"},
      {"To", "+14155550100"},
      {"MessagingServiceSid", "MG9752274e9e519418a7406176694466fa"},
      {"ToZip", "94105"},
      {"NumSegments", "1"},
      {"MessageSid", kSidPlaceholder},
      {"AccountSid", "AC1f2d3c4b5a69788796a5b4c3d2e1f0a9"},
      {"From", "+14155550123"},
      {"ApiVersion", "2010-04-01"}};
  std::size_t size = form_encode(params).size();
  if (payload_bytes > size) params[10].second.append(payload_bytes - size, 'x');
  return params;
}

std::vector<std::size_t> find_all(const std::string& haystack, const std::string& needle) {
  std::vector<std::size_t> at;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    at.push_back(pos);
  }
  return at;
}

// Writes the MessageSid of request `index` (run id + index, hex) at each offset.
void patch_sid(std::string& text, const std::vector<std::size_t>& offsets, std::uint64_t run_id,
               std::uint64_t index) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[kSidHexDigits];
  for (int i = 0; i < 16; ++i) {
    digits[i] = kHex[(run_id >> (60 - 4 * i)) & 15];
    digits[16 + i] = kHex[(index >> (60 - 4 * i)) & 15];
  }
  for (std::size_t at : offsets) std::memcpy(text.data() + at + 2, digits, kSidHexDigits);
}

class RequestFactory {
 public:
  RequestFactory(const Options& o, const Target& target)
      : token_(o.token), plain_(o.plain), run_id_(random_run_id()) {
    FormParams params = twilio_sms_params(o.payload_bytes);
    std::string body = form_encode(params);
    if (plain_) body.assign(body.size(), 'x');
    std::string head = "POST " + target.path + " HTTP/1.1\r\nHost: " + target.host + ":" +
                       target.port + "\r\nUser-Agent: omniroute-loadgen\r\nAccept: */*\r\n";
    if (plain_) {
      head += "Content-Type: application/octet-stream\r\n";
    } else {
      head += "Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: ";
      signature_offset_ = head.size();
      head += std::string(kSignatureChars, '=') + "\r\n";
    }
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    template_ = head + body;
    request_sid_offsets_ = find_all(template_, kSidPlaceholder);
    body_bytes_ = body.size();

    std::sort(params.begin(), params.end());
    signing_template_ = o.signed_url;
    for (const auto& [key, value] : params) signing_template_ += key + value;
    signing_sid_offsets_ = find_all(signing_template_, kSidPlaceholder);
  }

  const std::string& request_template() const { return template_; }
  std::size_t body_bytes() const { return body_bytes_; }

  // Computes the signatures of requests [0, n) on `threads` threads.
  void presign(std::size_t n, std::size_t threads) {
    if (plain_) return;
    presigned_.resize(n);
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([this, n, t, threads] {
        std::string data = signing_template_;
        for (std::size_t i = t; i < n; i += threads) presigned_[i] = sign(data, i);
      });
    }
    for (auto& w : workers) w.join();
  }

  // Turns `request` (a copy of the template) into request `index`. `scratch` is the caller's
  // copy of the signing template, used only when the index was not presigned.
  void fill(std::string& request, std::string& scratch, std::uint64_t index) {
    if (plain_) return;
    patch_sid(request, request_sid_offsets_, run_id_, index);
    Signature sig;
    if (index < presigned_.size()) {
      sig = presigned_[index];
    } else {
      if (scratch.empty()) scratch = signing_template_;
      sig = sign(scratch, index);
      live_signed_.fetch_add(1, std::memory_order_relaxed);
    }
    std::memcpy(request.data() + signature_offset_, sig.data(), sig.size());
  }

  std::uint64_t live_signed() const { return live_signed_.load(); }

 private:
  static std::uint64_t random_run_id() {
    std::string bytes = omniroute::crypto::random_bytes(8);
    std::uint64_t id = 0;
    std::memcpy(&id, bytes.data(), sizeof id);
    return id;
  }

  Signature sign(std::string& data, std::uint64_t index) const {
    patch_sid(data, signing_sid_offsets_, run_id_, index);
    std::string b64 = omniroute::crypto::base64_encode(
        omniroute::crypto::hmac(omniroute::crypto::Digest::sha1, token_, data));
    Signature sig;
    std::memcpy(sig.data(), b64.data(), sig.size());
    return sig;
  }

  std::string token_;
  bool plain_;
  std::uint64_t run_id_;
  std::string template_;
  std::size_t signature_offset_ = 0;
  std::size_t body_bytes_ = 0;
  std::vector<std::size_t> request_sid_offsets_;
  std::string signing_template_;
  std::vector<std::size_t> signing_sid_offsets_;
  std::vector<Signature> presigned_;
  std::atomic<std::uint64_t> live_signed_{0};
};

// ---------------------------------------------------------------------------------------------
// Measurement

// The measured window and the shared request counter; read by every connection.
struct Run {
  Clock::time_point start;
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  double rate = 0;
  Clock::duration tick{};  // open loop: the wake-up grid, from `start`; zero = none
  std::size_t connections = 1;
  std::atomic<std::uint64_t> next_index{0};
};

// One per client thread, so recording takes no lock.
struct Recorder {
  std::vector<std::uint32_t> latency_us_x10;  // latency in units of 0.1 µs, capped
  std::uint64_t completed = 0;                // responses inside the window
  std::uint64_t non2xx = 0;
  int last_non2xx_status = 0;
  std::uint64_t errors = 0;
  std::string last_error;

  void record(const Run& run, Clock::time_point intended, Clock::time_point done, int status) {
    if (done < run.measure_from || done > run.measure_until) return;
    ++completed;
    if (status < 200 || status > 299) {
      ++non2xx;
      last_non2xx_status = status;
    }
    if (intended < run.measure_from) return;  // started in the warm-up: throughput only
    auto tenths =
        std::chrono::duration_cast<std::chrono::nanoseconds>(done - intended).count() / 100;
    latency_us_x10.push_back(
        static_cast<std::uint32_t>(std::min<std::int64_t>(tenths, UINT32_MAX)));
  }
  void error(const Run& run, const std::string& what) {
    auto now = Clock::now();
    if (now < run.measure_from || now > run.measure_until) return;
    ++errors;
    last_error = what;
  }
};

// One keep-alive connection with one request in flight; lives on one thread's io_context.
class Connection {
 public:
  Connection(asio::io_context& io, const tcp::resolver::results_type& endpoints,
             RequestFactory& factory, Run& run, Recorder& recorder, std::size_t number)
      : socket_(io),
        timer_(io),
        endpoints_(endpoints),
        factory_(factory),
        run_(run),
        recorder_(recorder),
        request_(factory.request_template()) {
    if (run_.rate > 0) {
      interval_ = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(static_cast<double>(run_.connections) / run_.rate));
      // Stagger the connections evenly over one interval so the total rate is smooth.
      next_slot_ = run_.start + interval_ * number / run_.connections;
    }
  }

  void start() { connect(); }

 private:
  void connect() {
    socket_ = tcp::socket(socket_.get_executor());
    asio::async_connect(socket_, endpoints_, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return fail("connect: " + ec.message());
      socket_.set_option(tcp::no_delay(true));
      schedule();
    });
  }

  // Closed loop: send now. Open loop: send at the next slot (at once if it has passed).
  void schedule() {
    if (run_.rate <= 0) return send(Clock::now());
    Clock::time_point slot = next_slot_;
    next_slot_ += interval_;
    if (slot <= Clock::now()) return send(slot);
    timer_.expires_at(on_grid(slot));
    timer_.async_wait([this, slot](beast::error_code ec) {
      if (!ec) send(slot);
    });
  }

  // The first grid point at or after `slot`: connections due within one tick share a wake-up,
  // where a timer per request cost the client ~23 µs of CPU per request at 33 k req/s.
  Clock::time_point on_grid(Clock::time_point slot) const {
    if (run_.tick <= Clock::duration::zero()) return slot;
    const auto ticks = (slot - run_.start + run_.tick - Clock::duration(1)) / run_.tick;
    return run_.start + ticks * run_.tick;
  }

  void send(Clock::time_point intended) {
    intended_ = intended;
    factory_.fill(request_, sign_scratch_, run_.next_index.fetch_add(1, std::memory_order_relaxed));
    asio::async_write(socket_, asio::buffer(request_), [this](beast::error_code ec, std::size_t) {
      if (ec) return fail("write: " + ec.message());
      read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(1024 * 1024);
    http::async_read(socket_, buffer_, *parser_, [this](beast::error_code ec, std::size_t) {
      if (ec) return fail("read: " + ec.message());
      recorder_.record(run_, intended_, Clock::now(), parser_->get().result_int());
      if (!parser_->get().keep_alive()) return reconnect();
      schedule();
    });
  }

  void fail(const std::string& what) {
    recorder_.error(run_, what);
    // A short pause so a dead server does not turn the client into a busy loop.
    timer_.expires_after(std::chrono::milliseconds(10));
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) reconnect();
    });
  }

  void reconnect() {
    beast::error_code ignored;
    socket_.close(ignored);
    buffer_.clear();
    connect();
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  const tcp::resolver::results_type& endpoints_;
  RequestFactory& factory_;
  Run& run_;
  Recorder& recorder_;
  std::string request_;
  std::string sign_scratch_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Clock::duration interval_{};
  Clock::time_point next_slot_;
  Clock::time_point intended_;
};

// CPU seconds (user + system, all threads) a process has used so far; -1 if it cannot be read.
double cpu_seconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto name_end = stat.rfind(')');  // the command name may contain spaces and parentheses
  if (name_end == std::string::npos) return -1;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt: fields 3 to 13
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Samples the CPU use of the client ("self") and the given processes at the edges of the
// measured window, on its own thread, so that warm-up and presigning are not counted.
class CpuWatch {
 public:
  CpuWatch(std::vector<std::string> pids, const Run& run) : pids_(std::move(pids)) {
    pids_.insert(pids_.begin(), "self");
    thread_ = std::thread([this, from = run.measure_from, until = run.measure_until] {
      std::this_thread::sleep_until(from);
      std::vector<double> start = sample();
      std::this_thread::sleep_until(until);
      std::vector<double> end = sample();
      double window = std::chrono::duration<double>(until - from).count();
      for (std::size_t i = 0; i < pids_.size(); ++i) {
        bool known = start[i] >= 0 && end[i] >= 0;
        percent_.push_back(known ? 100 * (end[i] - start[i]) / window : -1);
      }
    });
  }
  // Joins; then one percentage per pid, the client's first (-1: unreadable).
  const std::vector<double>& percent() {
    if (thread_.joinable()) thread_.join();
    return percent_;
  }

 private:
  std::vector<double> sample() const {
    std::vector<double> seconds;
    for (const auto& pid : pids_) seconds.push_back(cpu_seconds(pid));
    return seconds;
  }

  std::vector<std::string> pids_;
  std::vector<double> percent_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Report

struct Report {
  double rps = 0;
  std::uint64_t completed = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // milliseconds
  std::uint64_t non2xx = 0;
  int last_non2xx_status = 0;
  std::uint64_t errors = 0;
  std::string last_error;
  std::vector<double> cpu_percent;  // the client's, then --cpu-of's, over the measured window
};

Report summarize(std::vector<Recorder>& recorders, double duration_secs) {
  Report r;
  std::vector<std::uint32_t> all;
  for (auto& rec : recorders) {
    r.completed += rec.completed;
    r.non2xx += rec.non2xx;
    r.errors += rec.errors;
    if (rec.last_non2xx_status) r.last_non2xx_status = rec.last_non2xx_status;
    if (!rec.last_error.empty()) r.last_error = rec.last_error;
    all.insert(all.end(), rec.latency_us_x10.begin(), rec.latency_us_x10.end());
  }
  r.rps = static_cast<double>(r.completed) / duration_secs;
  if (all.empty()) return r;
  std::sort(all.begin(), all.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(all.size())));
    return all[std::min(all.size() - 1, i == 0 ? 0 : i - 1)] / 10000.0;
  };
  r.p50 = at(0.50);
  r.p90 = at(0.90);
  r.p99 = at(0.99);
  r.p999 = at(0.999);
  r.max = all.back() / 10000.0;
  return r;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out;
}

std::string format_percent(double percent) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", percent);
  return text;
}

void print_report(const Options& o, const Report& r, std::size_t body_bytes,
                  std::uint64_t live_signed) {
  char line[1024];
  if (o.json) {
    std::snprintf(line, sizeof line,
                  "{\"url\":\"%s\",\"mode\":\"%s\",\"connections\":%zu,\"threads\":%zu,"
                  "\"rate\":%.0f,\"tick_us\":%.0f,\"duration_secs\":%.1f,\"body_bytes\":%zu,"
                  "\"requests\":%llu,"
                  "\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
                  "\"max_ms\":%.3f,\"non2xx\":%llu,\"last_non2xx_status\":%d,\"errors\":%llu,"
                  "\"last_error\":\"%s\",\"live_signed\":%llu",
                  json_escape(o.url).c_str(), o.plain ? "plain" : "twilio", o.connections,
                  o.threads, o.rate, o.rate > 0 ? o.tick_us : 0.0, o.duration_secs, body_bytes,
                  static_cast<unsigned long long>(r.completed), r.rps, r.p50, r.p90, r.p99, r.p999,
                  r.max, static_cast<unsigned long long>(r.non2xx), r.last_non2xx_status,
                  static_cast<unsigned long long>(r.errors), json_escape(r.last_error).c_str(),
                  static_cast<unsigned long long>(live_signed));
  } else {
    std::snprintf(line, sizeof line,
                  "%s %s conns=%zu threads=%zu %s: %.0f req/s  p50=%.3fms p90=%.3fms "
                  "p99=%.3fms p99.9=%.3fms max=%.3fms  non2xx=%llu errors=%llu%s%s",
                  o.url.c_str(), o.plain ? "plain" : "twilio", o.connections, o.threads,
                  o.rate > 0 ? ("open-loop@" + std::to_string(static_cast<long>(o.rate))).c_str()
                             : "closed-loop",
                  r.rps, r.p50, r.p90, r.p99, r.p999, r.max,
                  static_cast<unsigned long long>(r.non2xx),
                  static_cast<unsigned long long>(r.errors),
                  r.last_error.empty() ? "" : "  last_error=", r.last_error.c_str());
  }
  std::string out = line;
  if (o.json) {
    out += ",\"client_cpu_pct\":" + format_percent(r.cpu_percent.at(0)) + ",\"cpu_pct\":[";
    for (std::size_t i = 1; i < r.cpu_percent.size(); ++i) {
      out += (i > 1 ? "," : "") + format_percent(r.cpu_percent[i]);
    }
    out += "]}";
  } else {
    out += "  cpu: client " + format_percent(r.cpu_percent.at(0)) + "%";
    for (std::size_t i = 1; i < r.cpu_percent.size(); ++i) {
      out += ", pid " + o.cpu_of[i - 1] + " " + format_percent(r.cpu_percent[i]) + "%";
    }
  }
  std::cout << out << std::endl;
  if (r.non2xx > 0) std::cerr << "loadgen: last non-2xx status " << r.last_non2xx_status << "\n";
  if (live_signed > 0) std::cerr << "loadgen: " << live_signed << " requests signed live\n";
}

std::size_t default_presign(const Options& o) {
  double seconds = o.warmup_secs + o.duration_secs;
  // Closed loop: enough for 50k req/s (about 1 s of signing); faster runs sign the rest live.
  double rate = o.rate > 0 ? o.rate : 50'000;
  return static_cast<std::size_t>(rate * seconds * 1.1) + o.connections;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  Target target = parse_url(o.url);
  RequestFactory factory(o, target);

  auto t0 = Clock::now();
  factory.presign(o.presign ? o.presign : default_presign(o), o.threads);
  auto presign_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!o.plain) std::cerr << "loadgen: presigned in " << static_cast<long>(presign_ms) << " ms\n";

  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(target.host, target.port, ec);
  if (ec) usage_error("cannot resolve " + target.host + ": " + ec.message());

  Run run;
  run.rate = o.rate;
  run.tick = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, std::micro>(o.tick_us));
  run.connections = o.connections;
  run.start = Clock::now();
  run.measure_from = run.start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(o.warmup_secs));
  run.measure_until = run.measure_from + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(o.duration_secs));

  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<Recorder> recorders(o.threads);
  for (std::size_t t = 0; t < o.threads; ++t) ios.push_back(std::make_unique<asio::io_context>(1));
  std::vector<std::unique_ptr<Connection>> connections;
  for (std::size_t c = 0; c < o.connections; ++c) {
    std::size_t t = c % o.threads;
    connections.push_back(
        std::make_unique<Connection>(*ios[t], endpoints, factory, run, recorders[t], c));
    connections.back()->start();
  }
  CpuWatch cpu(o.cpu_of, run);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < o.threads; ++t) {
    threads.emplace_back([&io = *ios[t], until = run.measure_until] { io.run_until(until); });
  }
  for (auto& thread : threads) thread.join();

  Report report = summarize(recorders, o.duration_secs);
  report.cpu_percent = cpu.percent();
  print_report(o, report, factory.body_bytes(), factory.live_signed());
  // Nothing is torn down on purpose: the sockets close with the process.
  std::_Exit(report.completed > 0 ? 0 : 1);
}
