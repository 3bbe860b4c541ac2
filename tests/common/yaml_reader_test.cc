// Specification of the strict YAML reader shared by omniroute.yaml and the routing rules:
// positions, typed conversions, unknown/duplicate/missing keys, indirect strings, error order.
#include "common/yaml_reader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

using namespace omniroute::yamlcfg;

namespace {

// Parses `text` as t.yaml, lets `read` look at the root, returns every error, one per line.
template <class Read>
std::string errors_after(const std::string& text, Read read) {
  Diagnostics diag("t.yaml");
  if (auto doc = parse_document(text, diag)) read(Field{*doc, doc->Mark(), "", &diag});
  std::string joined;
  for (const auto& e : diag.errors()) joined += (joined.empty() ? "" : "\n") + e;
  return joined;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("a syntax error is reported at its position and yields no document") {
  Diagnostics diag("t.yaml");
  CHECK_FALSE(parse_document("a: 1\nb: [1, 2\n", diag));
  REQUIRE(diag.errors().size() == 1);
  CHECK_THAT(diag.errors()[0], Catch::StartsWith("t.yaml:3:1: YAML syntax error: "));
}

TEST_CASE("an empty document is nothing, which a MapReader reads as an empty mapping") {
  Diagnostics diag("t.yaml");
  auto doc = parse_document("", diag);
  REQUIRE(doc);
  CHECK(doc->IsNull());
  MapReader top(*doc, doc->Mark(), "", diag);
  CHECK(top.is_mapping());
  std::string listen = "default";
  CHECK_FALSE(top.read("listen", listen));
  CHECK(listen == "default");
  top.require("version");
  top.finish();
  CHECK(diag.errors() == std::vector<std::string>{"t.yaml:1:1: missing required key 'version'"});
}

TEST_CASE("integers must be plain, whole and in range") {
  auto integer = [](const std::string& value) {
    return errors_after("n: " + value + "\n", [](const Field& doc) {
      MapReader m(doc, {"n"});
      m.get("n")->integer(1, 64);
    });
  };
  CHECK(integer("7").empty());
  CHECK(integer("+7").empty());
  CHECK(integer("abc") == "t.yaml:1:4: n: expected an integer, got 'abc'");
  CHECK(integer("\"7\"") == "t.yaml:1:4: n: expected an integer, got '7'");
  CHECK(integer("1.5") == "t.yaml:1:4: n: expected an integer, got '1.5'");
  CHECK(integer("0") == "t.yaml:1:4: n: must be between 1 and 64, got 0");
  CHECK(integer("99999999999999999999") ==
        "t.yaml:1:4: n: must be between 1 and 64, got 99999999999999999999");
  CHECK(integer("[1]") == "t.yaml:1:4: n: expected an integer, got a list");
}

TEST_CASE("booleans are only true and false, unquoted") {
  auto boolean = [](const std::string& value) {
    return errors_after("b: " + value + "\n", [](const Field& doc) {
      MapReader m(doc, {"b"});
      m.get("b")->boolean();
    });
  };
  CHECK(boolean("true").empty());
  CHECK(boolean("false").empty());
  CHECK(boolean("yes") == "t.yaml:1:4: b: expected true or false, got 'yes'");
  CHECK(boolean("'true'") == "t.yaml:1:4: b: expected true or false, got 'true'");
}

TEST_CASE("string() refuses empty text where scalar() accepts it; nothing is at its key") {
  std::string errors = errors_after("a: ''\nb:\nc: ''\n", [](const Field& doc) {
    MapReader m(doc, {"a", "b", "c"});
    m.get("a")->string();
    m.get("b")->string();
    CHECK(m.get("c")->scalar() == std::optional<std::string>(""));
  });
  CHECK(errors ==
        "t.yaml:1:4: a: must not be empty\n"
        "t.yaml:2:1: b: expected a string, got nothing");
}

TEST_CASE("long values are cut in messages") {
  std::string long_value(100, 'x');
  std::string errors = errors_after("n: " + long_value + "\n", [](const Field& doc) {
    MapReader(doc, {"n"}).get("n")->integer(0, 1);
  });
  CHECK(errors == "t.yaml:1:4: n: expected an integer, got '" + std::string(40, 'x') + "...'");
}

TEST_CASE("a long value is cut in a message without splitting a character") {
  const std::string zhong = "\xE4\xB8\xAD";  // 中, on bytes 39..41 after 39 x
  std::string errors =
      errors_after("n: " + std::string(39, 'x') + zhong + zhong + "\n",
                   [](const Field& doc) { MapReader(doc, {"n"}).get("n")->integer(0, 1); });
  CHECK(errors == "t.yaml:1:4: n: expected an integer, got '" + std::string(39, 'x') + "...'");
}

TEST_CASE("an unknown key is reported at the key, with the mapping's path and a hint") {
  std::string errors =
      errors_after("http:\n  max_body_byte: 5\n  colour: blue\n", [](const Field& doc) {
        MapReader top(doc, {"http"});
        MapReader http(*top.get("http"), {"max_body_bytes"});
      });
  CHECK(errors ==
        "t.yaml:2:3: http: unknown key 'max_body_byte' (did you mean 'max_body_bytes'?)\n"
        "t.yaml:3:3: http: unknown key 'colour'");
}

TEST_CASE("with keys declared up front, reading another key does not make it known") {
  // A rule's `when` may test tiers; a tier rule's may not, though the same code reads both.
  std::string errors = errors_after("when: {tiers: [vip], channels: sms}\n", [](const Field& doc) {
    MapReader top(doc, {"when"});
    MapReader when(*top.get("when"), {"channels"});
    CHECK(when.get("tiers"));
  });
  CHECK(errors == "t.yaml:1:8: when: unknown key 'tiers'");
}

TEST_CASE("without keys declared up front, keys read with get, take or read count as known") {
  Diagnostics diag("t.yaml");
  auto doc = parse_document("threads: 4\nlisten: x\nretry: true\nlater: 1\n", diag);
  {
    MapReader m(*doc, doc->Mark(), "", diag);
    int threads = 0;
    std::string listen;
    bool retry = false;
    CHECK(m.read("threads", threads, 1, 64));
    CHECK(m.read("listen", listen));
    CHECK(m.read("retry", retry));
    m.allow("later");
    CHECK((threads == 4 && listen == "x" && retry));
  }
  CHECK_FALSE(diag.has_errors());
}

TEST_CASE("a duplicate key is reported at its second occurrence") {
  std::string errors = errors_after("q:\n  a: 1\n  a: 2\n", [](const Field& doc) {
    MapReader top(doc, {"q"});
    MapReader q(*top.get("q"), {"a"});
  });
  CHECK(errors == "t.yaml:3:3: q: duplicate key 'a' (first on line 2)");
}

TEST_CASE("a missing required key is reported at the mapping that lacks it") {
  std::string errors = errors_after("items:\n  - name: a\n  - other: 1\n", [](const Field& doc) {
    MapReader top(doc, {"items"});
    for (const auto& item : top.get("items")->items()) {
      MapReader m(item, {"name", "other"});
      m.require("name");
    }
  });
  CHECK(errors == "t.yaml:3:5: items[1]: missing required key 'name'");
}

TEST_CASE("a value that is not a mapping is reported once and reads nothing") {
  std::string errors = errors_after("- 1\n", [](const Field& doc) {
    MapReader top(doc, {});
    CHECK_FALSE(top.is_mapping());
    CHECK_FALSE(top.require("version"));
  });
  CHECK(errors == "t.yaml:1:1: the document: expected a mapping, got a list");
}

TEST_CASE("errors are reported in file order, whenever they were found") {
  std::string errors = errors_after("alpha: x\nbeta: 1\ngamma: y\n", [](const Field& doc) {
    MapReader m(doc, {"beta"});  // unknown alpha and gamma are found at the end
    m.get("beta")->boolean();
  });
  CHECK(errors ==
        "t.yaml:1:1: unknown key 'alpha'\n"
        "t.yaml:2:7: beta: expected true or false, got '1'\n"
        "t.yaml:3:1: unknown key 'gamma'");
}

TEST_CASE("a string list takes one value or a non-empty list, items keep their positions") {
  std::string errors = errors_after("one: sms\nmany: [sms, '']\nnone: []\n", [](const Field& doc) {
    MapReader m(doc, {"one", "many", "none"});
    CHECK(m.get("one")->string_list() == std::optional(std::vector<std::string>{"sms"}));
    CHECK_FALSE(m.get("many")->string_list());
    CHECK(m.get("none")->string_items().empty());
  });
  CHECK(errors ==
        "t.yaml:2:13: many[1]: must not be empty\n"
        "t.yaml:3:7: none: expected a value or a non-empty list of values, got a list");
}

TEST_CASE("for_each_item reads nothing as an empty list and reports other non-lists") {
  Diagnostics diag("t.yaml");
  auto doc = parse_document("empty:\nnot_a_list: 5\nlist: [a, b]\n", diag);
  std::vector<std::string> paths;
  {
    MapReader m(*doc, doc->Mark(), "", diag);
    auto collect = [&](const YAML::Node&, const YAML::Mark&, const std::string& path) {
      paths.push_back(path);
    };
    m.list("empty", collect);
    m.list("not_a_list", collect);
    m.list("list", collect);
  }
  CHECK(paths == std::vector<std::string>{"list[0]", "list[1]"});
  CHECK(diag.errors() ==
        std::vector<std::string>{"t.yaml:2:13: not_a_list: expected a list, got '5'"});
}

TEST_CASE("an indirect string comes inline, from the environment or from a file") {
  std::string path =
      (std::filesystem::temp_directory_path() / ("yaml_reader_test_" + std::to_string(::getpid())))
          .string();
  std::ofstream(path) << "s3cret\n";
  std::string text = "a: inline\nb: {env: TOKEN}\nc: {file: " + path +
                     "}\nd: {env: UNSET}\ne: {vault: x}\nf: {file: /nonexistent/x}\n";
  std::map<std::string, std::string> values;
  std::string errors = errors_after(text, [&](const Field& doc) {
    MapReader m(doc, {"a", "b", "c", "d", "e", "f"});
    auto env = env_of({{"TOKEN", "t0k"}});
    for (const char* key : {"a", "b", "c", "d", "e", "f"}) {
      if (auto v = m.get(key)->indirect_string(env)) values[key] = v->value;
    }
  });
  std::filesystem::remove(path);
  CHECK(values ==
        std::map<std::string, std::string>{{"a", "inline"}, {"b", "t0k"}, {"c", "s3cret"}});
  CHECK(errors ==
        "t.yaml:4:10: d: environment variable UNSET is not set\n"
        "t.yaml:5:5: e: expected {env: NAME} or {file: PATH}, got 'vault'\n"
        "t.yaml:6:11: f: cannot read file /nonexistent/x: No such file or directory");
}

TEST_CASE("closest_match suggests one near candidate, never a tie or a far one") {
  CHECK(closest_match("stratgy", {"strategy", "name"}) == std::optional<std::string>("strategy"));
  CHECK_FALSE(closest_match("ab", {"ac", "ad"}));
  CHECK_FALSE(closest_match("colour", {"threads", "listen"}));
  CHECK_FALSE(closest_match(std::string(100, 'a'), {std::string(100, 'a')}));
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("errors not from the file come after those in it") {
  Diagnostics diag("t.yaml");
  diag.error_from("OMNIROUTE_THREADS", "expected an integer");
  diag.error(Position{2, 1}, "second");
  diag.error(YAML::Mark(), "first");
  CHECK(diag.errors() == std::vector<std::string>{"t.yaml:1:1: first", "t.yaml:2:1: second",
                                                  "OMNIROUTE_THREADS: expected an integer"});
  CHECK(diag.to_error().message ==
        "t.yaml:1:1: first\nt.yaml:2:1: second\nOMNIROUTE_THREADS: expected an integer");
}
