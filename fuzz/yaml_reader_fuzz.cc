// Fuzz target for the strict YAML reader (common/yaml_reader.h): any bytes must yield values or
// positioned errors, never a crash, an exception or a hang, whatever shape the document has.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/yaml_reader.h"

using namespace omniroute::yamlcfg;

namespace {

// Every conversion on every value, recursively: the reader must cope with any node anywhere.
void read_everything(const Field& field, int depth) {
  (void)field.scalar();
  (void)field.string();
  (void)field.integer(-1000, 1000);
  (void)field.boolean();
  (void)field.seconds(0);
  (void)field.string_items();
  (void)field.indirect_string([](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    return std::nullopt;
  });
  if (depth > 8) return;
  if (field.node && field.node.IsSequence()) {
    for (const auto& item : field.items()) read_everything(item, depth + 1);
  }
  if (field.node && field.node.IsMap()) {
    for (const auto& [key, value] : field.entries()) read_everything(value, depth + 1);
  }
}

// The daemon's style: typed reads into defaults, sections, lists and unknown keys.
void read_like_a_config(const YAML::Node& doc, Diagnostics& diag) {
  MapReader root(doc, doc.Mark(), "", diag);
  if (!root.is_mapping()) return;
  int threads = 4;
  std::string listen;
  bool flag = false;
  root.read("threads", threads, 1, 64);
  root.read("listen", listen);
  root.read("flag", flag);
  root.section("http", [](MapReader& http) {
    long long limit = 0;
    http.read("max_body_bytes", limit, 0, 1 << 20);
    http.take_required("name");
  });
  root.list("items", [&](const YAML::Node& item, const YAML::Mark& at, const std::string& path) {
    MapReader m(item, at, path, diag);
    m.take("name");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Diagnostics diag("fuzz.yaml");
  auto doc = parse_document(bytes, diag);
  if (!doc) return 0;
  read_everything(Field{*doc, doc->Mark(), "", &diag}, 0);
  read_like_a_config(*doc, diag);
  {
    MapReader known(Field{*doc, doc->Mark(), "", &diag}, {"version", "rules", "queues"});
    (void)known.require("version");
  }
  (void)diag.errors();
  (void)diag.to_error();
  return 0;
}
