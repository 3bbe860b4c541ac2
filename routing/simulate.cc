// Dry-run tools over the pure matcher: simulate, diff and YAML behaviour tests. These run on an
// ops laptop, so they read files and print; nothing here is on the daemon's request path.
#include "routing/simulate.h"

#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "common/yaml_reader.h"
#include "routing/rules_yaml.h"

namespace omniroute::routing {

Result<v1::ContactEvent> parse_event_json(std::string_view json) {
  if (json.size() > kMaxEventLineBytes) {
    return make_error(Errc::too_large,
                      "event is larger than " + std::to_string(kMaxEventLineBytes) + " bytes");
  }
  v1::ContactEvent event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field would silently change the result
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &event, options);
  if (!status.ok()) {
    return make_error(Errc::invalid_input, "not a ContactEvent: " + std::string(status.message()));
  }
  return event;
}

MatchContext dry_run_context(const v1::ContactEvent& event) {
  return MatchContext{event.received_at_unix_ms(), std::nullopt};
}

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

std::string skills_text(const std::vector<SkillRequirement>& skills) {
  std::vector<std::string> parts;
  for (const auto& s : skills) parts.push_back(s.skill + ":" + std::to_string(s.min_level));
  return join(parts);
}

struct NamedField {
  const char* name;
  std::function<std::string(const RoutingDecision&)> text;
};

const std::vector<NamedField>& decision_fields() {
  static const std::vector<NamedField> fields = {
      {"rule", [](const RoutingDecision& d) { return d.rule; }},
      {"tier", [](const RoutingDecision& d) { return d.tier; }},
      {"queue", [](const RoutingDecision& d) { return d.queue; }},
      {"skills", [](const RoutingDecision& d) { return skills_text(d.required_skills); }},
      {"priority", [](const RoutingDecision& d) { return std::to_string(d.priority); }},
      {"deadline", [](const RoutingDecision& d) { return format_iso8601_utc(d.sla_deadline); }},
      {"tags", [](const RoutingDecision& d) { return join(d.tags); }},
  };
  return fields;
}

std::string event_label(std::size_t line, const v1::ContactEvent& e) {
  return "line " + std::to_string(line) + " event " + (e.event_id().empty() ? "-" : e.event_id());
}

// Reads a JSONL file event by event; blank lines and lines starting with '#' are skipped.
// Returns false when the file cannot be opened.
bool for_each_event(const std::string& path, std::ostream& err, bool& had_errors,
                    const std::function<void(std::size_t, const v1::ContactEvent&)>& visit) {
  std::ifstream in(path);
  if (!in) {
    err << path << ": cannot open the events file\n";
    had_errors = true;
    return false;
  }
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto event = parse_event_json(line);
    if (!event) {
      err << path << ":" << n << ": " << event.error().message << "\n";
      had_errors = true;
      continue;
    }
    if (event->received_at_unix_ms() <= 0) {
      err << path << ":" << n << ": received_at_unix_ms is required (the dry run routes each "
          << "event as of its arrival)\n";
      had_errors = true;
      continue;
    }
    visit(n, *event);
  }
  return true;
}

std::shared_ptr<const Rules> load_or_report(const std::string& path, std::ostream& err) {
  auto rules = load_rules_file(path);
  if (!rules) {
    err << rules.error().message << "\n";
    return nullptr;
  }
  return *rules;
}

}  // namespace

std::string format_decision(const RoutingDecision& d) {
  std::string out;
  for (const auto& f : decision_fields()) {
    // Appended piece by piece: `"" + std::string(...)` trips GCC 12's false -Wrestrict at -O2.
    if (!out.empty()) out += ' ';
    out.append(f.name).append(1, '=').append(f.text(d));
  }
  if (d.rule_queue != d.queue) out += " rule_queue=" + d.rule_queue;
  if (d.queue_closed) out += " waiting=out_of_hours";
  return out;
}

std::vector<std::string> decision_changes(const RoutingDecision& before,
                                          const RoutingDecision& after) {
  std::vector<std::string> changes;
  for (const auto& f : decision_fields()) {
    std::string a = f.text(before);
    std::string b = f.text(after);
    if (a != b) changes.push_back(std::string(f.name) + ": " + a + " -> " + b);
  }
  if (before.queue_closed != after.queue_closed) {
    changes.push_back(std::string("waiting: ") + (before.queue_closed ? "out_of_hours" : "-") +
                      " -> " + (after.queue_closed ? "out_of_hours" : "-"));
  }
  return changes;
}

int run_simulate(const std::string& rules_path, const std::string& events_path, std::ostream& out,
                 std::ostream& err) {
  auto rules = load_or_report(rules_path, err);
  if (!rules) return 1;
  bool had_errors = false;
  for_each_event(events_path, err, had_errors, [&](std::size_t n, const v1::ContactEvent& e) {
    out << event_label(n, e) << ": " << format_decision(match(*rules, e, dry_run_context(e)))
        << "\n";
  });
  return had_errors ? 1 : 0;
}

int run_diff(const std::string& old_rules_path, const std::string& new_rules_path,
             const std::string& events_path, std::ostream& out, std::ostream& err) {
  auto before = load_or_report(old_rules_path, err);
  auto after = load_or_report(new_rules_path, err);
  if (!before || !after) return 1;
  bool had_errors = false;
  std::size_t total = 0;
  std::size_t differ = 0;
  for_each_event(events_path, err, had_errors, [&](std::size_t n, const v1::ContactEvent& e) {
    ++total;
    auto ctx = dry_run_context(e);
    auto changes = decision_changes(match(*before, e, ctx), match(*after, e, ctx));
    if (changes.empty()) return;
    ++differ;
    out << event_label(n, e) << ":";
    for (const auto& c : changes) out << "\n  " << c;
    out << "\n";
  });
  out << differ << " of " << total << " events route differently\n";
  return had_errors ? 1 : 0;
}

// ---- behaviour tests ----

namespace {

using yamlcfg::Field;
using yamlcfg::MapReader;

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// The case's YAML event becomes protobuf JSON: every scalar a JSON string (protobuf accepts
// strings for numbers and enum names), and "channel: sms" reads as CHANNEL_SMS for brevity.
void yaml_to_json(const YAML::Node& node, std::string_view key, std::string& out) {
  if (node.IsMap()) {
    out += '{';
    bool first = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, it->first.Scalar());
      out += ':';
      yaml_to_json(it->second, it->first.Scalar(), out);
    }
    out += '}';
  } else if (node.IsSequence()) {
    out += '[';
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (i) out += ',';
      yaml_to_json(node[i], "", out);
    }
    out += ']';
  } else if (key == "channel" && channel_from_name(node.Scalar())) {
    append_json_string(out, v1::Channel_Name(*channel_from_name(node.Scalar())));
  } else {
    append_json_string(out, node.IsNull() ? "" : node.Scalar());
  }
}

struct Case {
  std::string name;
  int line = 0;
  v1::ContactEvent event;
  MatchContext ctx;
  std::map<std::string, std::string> expected;  // field name → text as format_decision prints
};

std::optional<std::string> expected_text(const std::string& field, const Field& f) {
  if (field == "skills") {
    std::vector<SkillRequirement> skills;
    for (auto& [k, v] : f.entries()) {
      auto level = v.integer(1, 5);
      if (!level) return std::nullopt;
      skills.push_back({k.node.Scalar(), static_cast<int>(*level)});
    }
    std::sort(skills.begin(), skills.end(),
              [](const auto& a, const auto& b) { return a.skill < b.skill; });
    return skills_text(skills);
  }
  if (field == "tags") {
    if (f.node && f.node.IsSequence() && f.node.size() == 0) return "-";
    auto tags = f.string_list();
    return tags ? std::optional(join(*tags)) : std::nullopt;
  }
  if (field == "deadline") {
    auto s = f.string();
    auto t = s ? parse_iso8601(*s) : std::nullopt;
    if (s && !t) f.error("expected an ISO 8601 time like 2025-01-06T09:15:00Z");
    return t ? std::optional(format_iso8601_utc(*t)) : std::nullopt;
  }
  if (field == "priority") {
    auto p = f.integer(-100000, 100000);
    return p ? std::optional(std::to_string(*p)) : std::nullopt;
  }
  return f.string();
}

std::optional<Case> read_case(const Field& item) {
  MapReader m(item, {"name", "at", "profile_tier", "event", "expect"});
  if (!m.is_mapping()) return std::nullopt;
  Case c;
  c.line = yamlcfg::position_of(item.mark).line;
  auto name = m.require("name");
  auto at = m.require("at");
  auto event = m.require("event");
  auto expect = m.require("expect");
  if (!name || !at || !event || !expect) return std::nullopt;
  c.name = name->string().value_or("");
  auto when = at->string();
  auto t = when ? parse_iso8601(*when) : std::nullopt;
  if (!t) {
    at->error("expected an ISO 8601 time like 2025-01-06T09:15:00+08:00");
    return std::nullopt;
  }
  std::string json;
  yaml_to_json(event->node, "", json);
  auto parsed = parse_event_json(json);
  if (!parsed) {
    event->error(parsed.error().message);
    return std::nullopt;
  }
  c.event = *parsed;
  if (c.event.received_at_unix_ms() == 0) c.event.set_received_at_unix_ms(*t);
  c.ctx.now = *t;
  if (auto p = m.get("profile_tier")) c.ctx.profile_tier = p->string();
  MapReader e(*expect,
              {"rule", "tier", "queue", "skills", "priority", "deadline", "tags", "rule_queue"});
  for (const auto& key :
       {"rule", "tier", "queue", "skills", "priority", "deadline", "tags", "rule_queue"}) {
    auto f = e.get(key);
    if (!f) continue;
    auto text = expected_text(key, *f);
    if (!text) return std::nullopt;
    c.expected[key] = *text;
  }
  return c;
}

std::string actual_text(const std::string& field, const RoutingDecision& d) {
  if (field == "rule_queue") return d.rule_queue;
  for (const auto& f : decision_fields()) {
    if (field == f.name) return f.text(d);
  }
  return "";
}

}  // namespace

int run_behavior_tests(const std::string& cases_path, std::ostream& out, std::ostream& err) {
  std::ifstream in(cases_path, std::ios::binary);
  if (!in) {
    err << cases_path << ": cannot open\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  yamlcfg::Diagnostics diag(cases_path);
  auto doc = yamlcfg::parse_document(text.str(), diag);
  std::shared_ptr<const Rules> rules;
  std::vector<Case> cases;
  if (doc) {
    MapReader top(Field{*doc, doc->Mark(), "", &diag}, {"rules", "cases"});
    if (auto r = top.require("rules"); r && r->string()) {
      auto path = std::filesystem::path(cases_path).parent_path() / r->node.Scalar();
      rules = load_or_report(path.lexically_normal().string(), err);
    }
    if (auto cs = top.require("cases")) {
      for (const auto& item : cs->items()) {
        if (auto c = read_case(item)) cases.push_back(std::move(*c));
      }
    }
  }
  for (const auto& e : diag.errors()) err << e << "\n";
  if (!rules || diag.has_errors()) return 1;
  int failures = 0;
  for (const auto& c : cases) {
    RoutingDecision d = match(*rules, c.event, c.ctx);
    std::string problems;
    for (const auto& [field, want] : c.expected) {
      std::string got = actual_text(field, d);
      if (got != want) problems += "\n    " + field + ": expected " + want + ", got " + got;
    }
    if (problems.empty()) {
      out << "ok - " << c.name << "\n";
    } else {
      ++failures;
      out << "FAIL - " << c.name << " (" << cases_path << ":" << c.line << ")" << problems
          << "\n    decision: " << format_decision(d) << "\n";
    }
  }
  out << cases.size() - static_cast<std::size_t>(failures) << " of " << cases.size()
      << " cases pass\n";
  return failures == 0 && !cases.empty() ? 0 : 1;
}

}  // namespace omniroute::routing
