// Specification of omniroute.yaml loading: typed values, defaults, every error with its
// file:line:col, secrets from env and files, overrides, the CLI and `omniroute check`.
#include "daemon/app/config.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "daemon/app/cli.h"
#include "tests/support/daemon_process.h"

using namespace omniroute;
using namespace omniroute::daemon;

namespace {

// A fake environment, so that tests never depend on (or change) the process's.
yamlcfg::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A vendor owned by this test, so that settings validation does not hinge on a real adapter.
class NullAdapter : public adapters::Adapter {
 public:
  Result<void> verify(const adapters::WebhookRequest&, adapters::ParsedRequest&) const override {
    return {};
  }
  Result<std::vector<v1::ContactEvent>> normalize(const adapters::WebhookRequest&,
                                                  adapters::ParsedRequest&) const override {
    return std::vector<v1::ContactEvent>{};
  }
};

constexpr adapters::SettingSpec kTestSettings[] = {
    {"api_key", true, true, "signing key"},
    {"region", false, false, "where the account lives"},
};

const std::vector<adapters::AdapterFactory>& test_vendors() {
  static const std::vector<adapters::AdapterFactory> vendors = {{
      "testvendor",
      kTestSettings,
      [](const adapters::Settings& s) -> Result<std::unique_ptr<adapters::Adapter>> {
        auto region = s.find("region");
        if (region != s.end() && region->second == "mars") {
          return make_error(Errc::invalid_input, "region 'mars' is not served");
        }
        return std::unique_ptr<adapters::Adapter>(std::make_unique<NullAdapter>());
      },
  }};
  return vendors;
}

Result<Config> load(const std::string& text, std::map<std::string, std::string> env = {},
                    const Overrides& overrides = {}) {
  return load_config_string(text, "test.yaml", overrides, env_of(std::move(env)), test_vendors());
}

// The error text of a load that must fail.
std::string errors_of(const std::string& text, std::map<std::string, std::string> env = {},
                      const Overrides& overrides = {}) {
  auto config = load(text, std::move(env), overrides);
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().code == Errc::invalid_input);
  return config.error().message;
}

const std::string kAdapter = R"(
adapters:
  - name: shop
    vendor: testvendor
    tenant: acme
    path: /webhooks/test/acme
    settings:
      api_key: {env: API_KEY}
)";

}  // namespace

// ---- values and defaults --------------------------------------------------------------------

TEST_CASE("an empty file gives every documented default") {
  auto config = load("");
  REQUIRE(config.has_value());
  CHECK(config->listen.to_string() == "127.0.0.1:8080");
  CHECK(config->public_base_url.empty());
  CHECK(config->threads == 0);  // chosen at start-up: io_threads()
  CHECK(config->http.max_body_bytes == 1048576);
  CHECK(config->http.max_header_bytes == 16384);
  CHECK(config->http.read_timeout == std::chrono::seconds(10));
  CHECK(config->http.idle_timeout == std::chrono::seconds(60));
  CHECK(config->http.max_connections == 10000);
  CHECK(config->http.drain_timeout == std::chrono::seconds(20));
  CHECK(config->redis.is_embedded());
  CHECK(config->redis.connections == 2);
  CHECK(config->redis.connect_timeout == std::chrono::milliseconds(2000));
  CHECK(config->redis.command_timeout == std::chrono::milliseconds(2000));
  CHECK(config->redis.embedded.binary == "redis-server");
  CHECK(config->redis.embedded.data_dir == "var/redis");
  CHECK(config->streams.prefix == "omni");
  CHECK(config->streams.inbound_maxlen == 1000000);
  CHECK(config->streams.dedup_ttl == std::chrono::seconds(604800));
  CHECK(config->streams.raw_payload_ttl == std::chrono::seconds(0));
  CHECK(config->log.level == LogLevel::info);
  CHECK(config->log.redact_bodies);
  CHECK(config->adapters.empty());
  CHECK(config->warnings.empty());
}

TEST_CASE("a section given with nothing under it keeps its defaults") {
  auto config = load("http:\nredis:\n");
  REQUIRE(config.has_value());
  CHECK(config->http.max_body_bytes == 1048576);
}

TEST_CASE("every section's values are read into typed fields") {
  auto config = load(R"(
listen: "[::1]:9000"
public_base_url: https://cs.example.com/
threads: 8
http:
  max_body_bytes: 2048
  read_timeout_secs: 5
  drain_timeout_secs: 0
redis:
  url: redis://app:s3cret@redis.internal:6380/2
  connections: 4
  command_timeout_ms: 500
streams:
  prefix: prod
  dedup_ttl_secs: 86400
log:
  level: debug
  redact_bodies: false
)" + kAdapter,
                     {{"API_KEY", "k1"}});
  REQUIRE(config.has_value());
  CHECK(config->listen.host == "::1");
  CHECK(config->listen.port == 9000);
  CHECK(config->listen.to_string() == "[::1]:9000");
  CHECK(config->public_base_url == "https://cs.example.com");
  CHECK(config->threads == 8);
  CHECK(config->http.max_body_bytes == 2048);
  CHECK(config->http.read_timeout == std::chrono::seconds(5));
  CHECK(config->http.drain_timeout == std::chrono::seconds(0));
  CHECK_FALSE(config->redis.is_embedded());
  CHECK(config->redis.endpoint.host == "redis.internal");
  CHECK(config->redis.endpoint.port == 6380);
  CHECK(config->redis.endpoint.db == 2);
  CHECK(config->redis.endpoint.user == "app");
  CHECK(config->redis.endpoint.password == "s3cret");
  CHECK(config->redis.connections == 4);
  CHECK(config->redis.command_timeout == std::chrono::milliseconds(500));
  CHECK(config->streams.prefix == "prod");
  CHECK(config->streams.dedup_ttl == std::chrono::seconds(86400));
  CHECK(config->log.level == LogLevel::debug);
  CHECK_FALSE(config->log.redact_bodies);
  REQUIRE(config->adapters.size() == 1);
  const auto& a = config->adapters[0];
  CHECK(a.name == "shop");
  CHECK(a.vendor == "testvendor");
  CHECK(a.tenant == "acme");
  CHECK(a.path == "/webhooks/test/acme");
  CHECK(a.settings.at("api_key") == "k1");
  CHECK(a.settings.count("region") == 0);
}

TEST_CASE("a full config from tests/data loads") {
  auto path = testing::source_path("tests/data/config/full.yaml");
  auto config = load_config_file(path, {}, env_of({{"TWILIO_AUTH_TOKEN", "t"}}));
  INFO((config ? std::string() : config.error().message));
  REQUIRE(config.has_value());
  CHECK(config->adapters.size() == 2);
  CHECK(config->redis.endpoint.socket_path == "/run/redis/redis.sock");
}

// ---- errors, each with its position ---------------------------------------------------------

TEST_CASE("an unknown key is an error at the key, with a did-you-mean hint") {
  CHECK(errors_of("http:\n  max_body_byte: 10\n") ==
        "test.yaml:2:3: http: unknown key 'max_body_byte' (did you mean 'max_body_bytes'?)");
  CHECK(errors_of("colour: blue\n") == "test.yaml:1:1: unknown key 'colour'");
}

TEST_CASE("a wrong type names what was expected and what was found") {
  CHECK(errors_of("threads: abc\n") == "test.yaml:1:10: threads: expected an integer, got 'abc'");
  CHECK(errors_of("log:\n  redact_bodies: yes\n") ==
        "test.yaml:2:18: log.redact_bodies: expected true or false, got 'yes'");
  CHECK(errors_of("http: 5\n") == "test.yaml:1:7: http: expected a mapping, got '5'");
  CHECK(errors_of("listen: [1, 2]\n") == "test.yaml:1:9: listen: expected a string, got a list");
}

TEST_CASE("an out-of-range value states the allowed range") {
  CHECK(errors_of("threads: 0\n") == "test.yaml:1:10: threads: must be between 1 and 64, got 0");
  CHECK(errors_of("http:\n  read_timeout_secs: -1\n") ==
        "test.yaml:2:22: http.read_timeout_secs: must be between 1 and 3600, got -1");
  CHECK(errors_of("streams:\n  inbound_maxlen: 99999999999999999999\n") ==
        "test.yaml:2:19: streams.inbound_maxlen: must be between 1000 and 1000000000, got "
        "99999999999999999999");
}

TEST_CASE("http.max_in_flight_body_bytes holds at least one largest body") {
  CHECK(load("http:\n")->http.max_in_flight_body_bytes == 256 * 1024 * 1024);
  CHECK(load("http:\n  max_in_flight_body_bytes: 2097152\n")->http.max_in_flight_body_bytes ==
        2097152);
  // Unset, it grows with max_body_bytes; set, it may not be below it.
  CHECK(load("http:\n  max_body_bytes: 536870912\n")->http.max_in_flight_body_bytes == 536870912);
  CHECK(errors_of("http:\n  max_body_bytes: 4096\n  max_in_flight_body_bytes: 2048\n") ==
        "test.yaml:3:29: http.max_in_flight_body_bytes: must be at least http.max_body_bytes "
        "(4096), got 2048");
  CHECK(errors_of("http:\n  max_in_flight_body_bytes: 0\n") ==
        "test.yaml:2:29: http.max_in_flight_body_bytes: must be between 1024 and 1099511627776, "
        "got 0");
}

TEST_CASE("a bad listen address is an error at its value") {
  auto message = errors_of("listen: localhost:8080\n");
  CHECK(message.starts_with("test.yaml:1:9: listen: 'localhost:8080' is not a listen address"));
  CHECK(message.find("must be an IP address") != std::string::npos);
  CHECK(errors_of("listen: 127.0.0.1:70000\n").find("port must be 0..65535") != std::string::npos);
  CHECK(errors_of("listen: ::1:80\n").find("need [brackets]") != std::string::npos);
  CHECK(errors_of("listen: 127.0.0.1\n").find("no port") != std::string::npos);
}

TEST_CASE("a listen address with port 0 is accepted for tests") {
  auto config = load("listen: 127.0.0.1:0\n");
  REQUIRE(config.has_value());
  CHECK(config->listen.port == 0);
}

TEST_CASE("a bad redis url and a bad log level are errors at their values") {
  CHECK(errors_of("redis:\n  url: rediss://h:1\n").starts_with("test.yaml:2:8: redis.url: "));
  CHECK(errors_of("log:\n  level: loud\n") ==
        "test.yaml:2:10: log.level: unknown log level 'loud' (debug, info, warn, error)");
}

TEST_CASE("an unknown vendor is an error that lists the known ones") {
  auto text = R"(adapters:
  - name: a
    vendor: testvendr
    tenant: t
    path: /webhooks/a
    settings: {anything: goes}
)";
  CHECK(errors_of(text) ==
        "test.yaml:3:13: adapters[0].vendor: unknown vendor 'testvendr' (known: testvendor); "
        "did you mean 'testvendor'?");
}

TEST_CASE("a missing required key or secret is an error at the entry that lacks it") {
  auto text = R"(adapters:
  - name: a
    vendor: testvendor
    path: /webhooks/a
    settings:
      region: eu
)";
  CHECK(errors_of(text) ==
        "test.yaml:2:5: adapters[0]: missing required key 'tenant'\n"
        "test.yaml:6:7: adapters[0].settings: missing required key 'api_key'");
}

TEST_CASE("an unknown adapter setting is an error with a hint") {
  auto text = R"(adapters:
  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a,
     settings: {api_key: k, regoin: eu}}
)";
  CHECK(errors_of(text) ==
        "test.yaml:3:29: adapters[0].settings: unknown key 'regoin' (did you mean 'region'?)");
}

TEST_CASE("a secret from an unset or empty environment variable is an error at the variable name") {
  CHECK(errors_of(kAdapter) ==
        "test.yaml:8:22: adapters[0].settings.api_key: environment variable API_KEY is not set");
  CHECK(errors_of(kAdapter, {{"API_KEY", ""}}) ==
        "test.yaml:8:22: adapters[0].settings.api_key: environment variable API_KEY is empty");
}

TEST_CASE("a secret from a file loses one trailing newline; an unreadable file is an error") {
  auto token = testing::write_temp_file("api.key", "line-one\n");
  auto text =
      "adapters:\n  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a,\n"
      "     settings: {api_key: {file: " +
      token + "}}}\n";
  auto config = load(text);
  REQUIRE(config.has_value());
  CHECK(config->adapters[0].settings.at("api_key") == "line-one");
  CHECK(config->warnings.empty());

  auto missing =
      "adapters:\n  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a,\n"
      "     settings: {api_key: {file: /nonexistent/key}}}\n";
  CHECK(errors_of(missing) ==
        "test.yaml:3:33: adapters[0].settings.api_key: cannot read file "
        "/nonexistent/key: No such file or directory");
}

TEST_CASE("a secret written inline loads but leaves a warning without the secret") {
  auto text =
      "adapters:\n  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a,\n"
      "     settings: {api_key: hunter2}}\n";
  auto config = load(text);
  REQUIRE(config.has_value());
  REQUIRE(config->warnings.size() == 1);
  CHECK(config->warnings[0] ==
        "test.yaml:3:26: adapters[0].settings.api_key is a secret written inline; prefer {env: "
        "NAME} or {file: PATH}");
}

TEST_CASE("an empty inline secret is an error") {
  auto text =
      "adapters:\n  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a,\n"
      "     settings: {api_key: \"\"}}\n";
  CHECK(errors_of(text) ==
        "test.yaml:3:26: adapters[0].settings.api_key: a secret must not be empty");
}

TEST_CASE("the adapter itself may refuse a setting, reported at the entry") {
  auto text =
      "adapters:\n  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a,\n"
      "     settings: {api_key: {env: K}, region: mars}}\n";
  CHECK(errors_of(text, {{"K", "k"}}) == "test.yaml:2:5: adapters[0]: region 'mars' is not served");
}

TEST_CASE("duplicate adapter names and paths are errors at the second entry") {
  auto text = R"(adapters:
  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/a, settings: {api_key: {env: K}}}
  - {name: b, vendor: testvendor, tenant: t, path: /webhooks/a, settings: {api_key: {env: K}}}
  - {name: a, vendor: testvendor, tenant: t, path: /webhooks/c, settings: {api_key: {env: K}}}
)";
  CHECK(errors_of(text, {{"K", "k"}}) ==
        "test.yaml:3:5: adapters[1]: duplicate adapter path '/webhooks/a' (first in adapters[0], "
        "line 2)\n"
        "test.yaml:4:5: adapters[2]: duplicate adapter name 'a' (first in adapters[0], line 2)");
}

TEST_CASE("a webhook path outside /webhooks/ or with odd segments is refused") {
  for (std::string path : {"/hooks/a", "/webhooks/", "/webhooks/a/", "/webhooks//a",
                           "/webhooks/../admin", "/webhooks/a b"}) {
    INFO(path);
    auto text = "adapters:\n  - {name: a, vendor: testvendor, tenant: t, path: \"" + path +
                "\", settings: {api_key: k}}\n";
    CHECK(errors_of(text).find("adapters[0].path: '" + path + "' must start with /webhooks/") !=
          std::string::npos);
  }
}

TEST_CASE("a duplicate YAML key is an error at its second occurrence") {
  CHECK(errors_of("threads: 2\nthreads: 3\n") ==
        "test.yaml:2:1: duplicate key 'threads' (first on line 1)");
}

TEST_CASE("a document that is not a mapping is one error at its start") {
  CHECK(errors_of("- listen: 127.0.0.1:80\n") ==
        "test.yaml:1:1: the document: expected a mapping, got a list");
}

TEST_CASE("a YAML syntax error is reported with its position") {
  CHECK(errors_of("http:\n  max_body_bytes: [1, 2\nthreads: 2\n")
            .starts_with("test.yaml:3:8: YAML syntax error: "));
}

TEST_CASE("every error in a file is reported, in file order") {
  auto message = errors_of(R"(threads: 100
http:
  idle_timeout_secs: soon
  bogus: 1
log:
  level: loud
)");
  CHECK(message ==
        "test.yaml:1:10: threads: must be between 1 and 64, got 100\n"
        "test.yaml:3:22: http.idle_timeout_secs: expected an integer, got 'soon'\n"
        "test.yaml:4:3: http: unknown key 'bogus'\n"
        "test.yaml:6:10: log.level: unknown log level 'loud' (debug, info, warn, "
        "error)");
}

TEST_CASE("a missing config file is an error naming the file") {
  auto config = load_config_file("/nonexistent/omniroute.yaml", {}, env_of({}));
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().message ==
        "/nonexistent/omniroute.yaml: cannot read the config file: No such file or directory");
}

// ---- overrides ------------------------------------------------------------------------------

TEST_CASE("overrides: command line beats environment beats file") {
  std::string file = "listen: 127.0.0.1:1000\nlog: {level: warn}\n";
  std::map<std::string, std::string> env = {{"OMNIROUTE_LISTEN", "127.0.0.1:2000"},
                                            {"OMNIROUTE_LOG_LEVEL", "error"}};
  Overrides cli;
  cli.listen = "127.0.0.1:3000";

  CHECK(load(file)->listen.port == 1000);
  auto from_env = load(file, env);
  CHECK(from_env->listen.port == 2000);
  CHECK(from_env->log.level == LogLevel::error);
  auto from_cli = load(file, env, cli);
  CHECK(from_cli->listen.port == 3000);
  CHECK(from_cli->log.level == LogLevel::error);  // no CLI value: env still applies
}

TEST_CASE("an empty override variable counts as unset") {
  auto config = load("listen: 127.0.0.1:1000\n", {{"OMNIROUTE_LISTEN", ""}});
  CHECK(config->listen.port == 1000);
}

TEST_CASE("a redis url override replaces the file's url but not its password") {
  std::string file = "redis:\n  url: redis://old:1\n  password: {env: PW}\n";
  Overrides cli;
  cli.redis_url = "redis://:urlpw@new:2/3";
  auto config = load(file, {{"PW", "frompassword"}}, cli);
  REQUIRE(config.has_value());
  CHECK(config->redis.endpoint.host == "new");
  CHECK(config->redis.endpoint.db == 3);
  CHECK(config->redis.endpoint.password == "frompassword");

  Overrides embedded;
  embedded.redis_url = "";
  CHECK(load(file, {{"PW", "p"}}, embedded)->redis.is_embedded());
}

TEST_CASE("a bad override is an error naming where it came from") {
  Overrides cli;
  cli.public_base_url = "ftp://x";
  CHECK(errors_of("", {{"OMNIROUTE_LOG_LEVEL", "chatty"}}, cli) ==
        "environment OMNIROUTE_LOG_LEVEL: unknown log level 'chatty' (debug, info, warn, error)\n"
        "command line --public-base-url: 'ftp://x' is not a public URL (scheme must be http(s))");
}

// ---- public URLs ----------------------------------------------------------------------------

TEST_CASE("the public URL of an adapter: its own, else the base, else the bound address") {
  Config config;
  AdapterConfig adapter;
  adapter.path = "/webhooks/twilio/demo";
  ListenAddress bound{"0.0.0.0", 41234};
  CHECK(public_url_for(config, adapter, bound) == "http://127.0.0.1:41234/webhooks/twilio/demo");
  config.public_base_url = "https://cs.example.com";
  CHECK(public_url_for(config, adapter, bound) == "https://cs.example.com/webhooks/twilio/demo");
  adapter.public_url = "https://sms.example.com/in";
  CHECK(public_url_for(config, adapter, bound) == "https://sms.example.com/in");
}

// ---- the real registry and the example ------------------------------------------------------

TEST_CASE("the commented example config loads with the demo token") {
  auto config = load_config_file(testing::source_path("config/omniroute.example.yaml"), {},
                                 env_of({{"TWILIO_AUTH_TOKEN", "demo-auth-token"}}));
  INFO((config ? std::string() : config.error().message));
  REQUIRE(config.has_value());
  CHECK(config->listen.to_string() == "127.0.0.1:8080");
  CHECK(config->redis.is_embedded());
  CHECK(config->warnings.empty());
  REQUIRE(config->adapters.size() == 1);
  CHECK(config->adapters[0].vendor == "twilio");
  CHECK(config->adapters[0].tenant == "demo");
  CHECK(config->adapters[0].settings.at("auth_token") == "demo-auth-token");
  CHECK(public_url_for(*config, config->adapters[0], config->listen) ==
        "http://127.0.0.1:8080/webhooks/twilio/demo");
}

TEST_CASE("the example config without TWILIO_AUTH_TOKEN fails at the token's line") {
  auto config =
      load_config_file(testing::source_path("config/omniroute.example.yaml"), {}, env_of({}));
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().message.find("settings.auth_token: environment variable TWILIO_AUTH_TOKEN "
                                    "is not set") != std::string::npos);
}

TEST_CASE("twilio's auth_token is required by the registered vendor") {
  auto config = load_config_string(
      "adapters:\n  - {name: t, vendor: twilio, tenant: demo, path: /webhooks/t}\n", "t.yaml", {},
      env_of({}));
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().message ==
        "t.yaml:2:5: adapters[0].settings: missing required key 'auth_token'");
}

// ---- command line ---------------------------------------------------------------------------

namespace {
Result<CommandLine> parse(std::vector<std::string_view> args) {
  return parse_command_line(std::span<const std::string_view>(args));
}
}  // namespace

TEST_CASE("the command line: run is the default, with the default config path") {
  auto cl = parse({});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::run);
  CHECK(cl->config_path == "/etc/omniroute/omniroute.yaml");
}

TEST_CASE("the command line: run with a file and every override in both spellings") {
  auto cl = parse({"run", "-c", "my.yaml", "--listen", "0.0.0.0:80", "--redis-url=redis://r",
                   "--log-level", "debug", "--public-base-url=https://x"});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::run);
  CHECK(cl->config_path == "my.yaml");
  CHECK(cl->overrides.listen == "0.0.0.0:80");
  CHECK(cl->overrides.redis_url == "redis://r");
  CHECK(cl->overrides.log_level == "debug");
  CHECK(cl->overrides.public_base_url == "https://x");
  CHECK(parse({"--config=a.yaml"})->config_path == "a.yaml");
}

TEST_CASE("the command line: check, version and help") {
  auto check = parse({"check", "some.yaml"});
  REQUIRE(check.has_value());
  CHECK(check->command == Command::check);
  CHECK(check->config_path == "some.yaml");
  CHECK(parse({"--version"})->command == Command::version);
  CHECK(parse({"--help"})->command == Command::help);
  CHECK(parse({"run", "-h"})->command == Command::help);
  CHECK(usage().find("omniroute check FILE") != std::string::npos);
}

TEST_CASE("the command line: mistakes are refused with the reason") {
  CHECK(parse({"--frobnicate"}).error().message ==
        "unknown option '--frobnicate'; see omniroute --help");
  CHECK(parse({"-c"}).error().message == "-c needs a value; see omniroute --help");
  CHECK(parse({"check"}).error().message == "check needs a FILE; see omniroute --help");
  CHECK(parse({"run", "file.yaml"}).error().message ==
        "unexpected argument 'file.yaml' (give the file with -c); see omniroute --help");
}

TEST_CASE("the command line: an option given twice counts its last value") {
  // scripts/run.sh passes its own -c before the caller's arguments.
  auto cl =
      parse({"run", "-c", "example.yaml", "--listen=a:1", "-c", "mine.yaml", "--listen", "b:2"});
  REQUIRE(cl.has_value());
  CHECK(cl->config_path == "mine.yaml");
  CHECK(cl->overrides.listen == "b:2");
}

TEST_CASE("the command line: an empty value, after '=' or on its own, is the empty value") {
  CHECK(parse({"--redis-url="})->overrides.redis_url == "");  // "" = the embedded redis-server
  CHECK(parse({"--redis-url", ""})->overrides.redis_url == "");
  CHECK_FALSE(parse({})->overrides.redis_url.has_value());
}

TEST_CASE("the command line: options are not abbreviated, and an unknown one is named as typed") {
  CHECK(parse({"--list", "x"}).error().message == "unknown option '--list'; see omniroute --help");
  CHECK(parse({"--frobnicate=1"}).error().message ==
        "unknown option '--frobnicate'; see omniroute --help");
  CHECK(parse({"-x"}).error().message == "unknown option '-x'; see omniroute --help");
  CHECK(parse({"check", "--listen"}).error().message ==
        "--listen needs a value; see omniroute --help");
  CHECK(parse({"check", "a.yaml", "b.yaml"}).error().message ==
        "unexpected argument 'b.yaml'; see omniroute --help");
  CHECK(parse({"check", "a.yaml", "-c", "b.yaml"}).error().message ==
        "check takes one file; see omniroute --help");
}

TEST_CASE("the command line: token hash takes one token as it is, even one that starts with -") {
  auto cl = parse({"token", "hash", "-abc"});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::token_hash);
  CHECK(cl->token == "-abc");
  CHECK(parse({"token", "hash"}).error().message ==
        "token hash needs exactly one TOKEN (or -); see omniroute --help");
  CHECK(parse({"token"}).error().message == "token needs hash or sign; see omniroute --help");
  CHECK(parse({"token", "mint"}).error().message ==
        "token needs hash or sign; see omniroute --help");
}

TEST_CASE("the command line: token sign takes the claims, the key id and a ttl") {
  auto cl = parse({"token", "sign", "-c", "o.yaml", "--tenant", "demo", "--role=supervisor",
                   "--sub", "ops", "--ttl", "8h", "--key-id", "k1"});
  REQUIRE(cl.has_value());
  CHECK(cl->command == Command::token_sign);
  CHECK(cl->config_path == "o.yaml");
  CHECK(cl->sign.tenant == "demo");
  CHECK(cl->sign.role == "supervisor");
  CHECK(cl->sign.sub == "ops");
  CHECK(cl->sign.key_id == "k1");
  CHECK(cl->sign.ttl_secs == 8 * 3600);
  CHECK(parse({"token", "sign", "--help"})->command == Command::help);
}

TEST_CASE("the command line: token sign refuses unknown options, missing values and bad ttls") {
  const std::vector<std::string_view> claims{"token", "sign",  "--tenant", "demo",     "--role",
                                             "agent", "--sub", "ana",      "--key-id", "k1"};
  auto with = [&claims](std::vector<std::string_view> more) {
    auto args = claims;
    args.insert(args.end(), more.begin(), more.end());
    return parse(args);
  };
  CHECK(with({"--ttl", "8h", "--scope", "x"}).error().message ==
        "unknown option '--scope' for token sign; see omniroute --help");
  CHECK(with({"--ttl"}).error().message == "--ttl needs a value; see omniroute --help");
  CHECK(with({}).error().message ==
        "token sign needs --tenant, --role, --sub, --ttl and --key-id; see omniroute --help");
  CHECK(with({"--ttl", "8y"}).error().message ==
        "--ttl takes a number and s, m, h or d (at most a year); see omniroute --help");
  CHECK(with({"--ttl", "367d"}).error().message ==
        "--ttl takes a number and s, m, h or d (at most a year); see omniroute --help");
  CHECK(with({"--ttl", "8h", "extra"}).error().message ==
        "unexpected argument 'extra' for token sign; see omniroute --help");
}

// ---- omniroute check ------------------------------------------------------------------------

TEST_CASE("check exits 0 and says OK for a valid file") {
  std::ostringstream out, err;
  int code = run_check(testing::source_path("config/omniroute.example.yaml"), {},
                       env_of({{"TWILIO_AUTH_TOKEN", "x"}}), out, err);
  CHECK(code == 0);
  CHECK(out.str().ends_with(
      "omniroute.example.yaml: OK (1 adapter, listen 127.0.0.1:8080, redis embedded)\n"));
  CHECK(err.str().empty());
}

TEST_CASE("check exits 1 and prints every error on stderr") {
  std::ostringstream out, err;
  auto path = testing::source_path("tests/data/config/broken.yaml");
  int code = run_check(path, {}, env_of({}), out, err);
  CHECK(code == 1);
  CHECK(out.str().empty());
  std::vector<std::string> lines;
  std::istringstream lines_in(err.str());
  for (std::string line; std::getline(lines_in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == path + ":4:10: threads: expected an integer, got 'many'");
  CHECK(lines[1] == path + ":6:3: http: unknown key 'max_body_size'");
  // The list of known vendors grows with the registry; the hint is what matters.
  CHECK(lines[2].starts_with(path + ":11:13: adapters[0].vendor: unknown vendor 'twillio' ("));
  CHECK(lines[2].ends_with("did you mean 'twilio'?"));
}

TEST_CASE("check prints warnings on stderr and still exits 0") {
  std::ostringstream out, err;
  auto path = testing::write_temp_file(
      "inline.yaml",
      "adapters:\n  - {name: t, vendor: twilio, tenant: d, path: /webhooks/t, settings: "
      "{auth_token: abc}}\n");
  CHECK(run_check(path, {}, env_of({}), out, err) == 0);
  CHECK(err.str() == "warning: " + path +
                         ":2:84: adapters[0].settings.auth_token is a secret written inline; "
                         "prefer {env: NAME} or {file: PATH}\n");
}

// ---- api ------------------------------------------------------------------------------------

namespace {

const std::string kSha = std::string(64, 'a');
const std::string kKey = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("api: defaults, and tenants with static tokens and signing keys from the environment") {
  auto defaults = load("");
  REQUIRE(defaults.has_value());
  CHECK(defaults->api.enabled);
  CHECK(defaults->api.command_timeout == std::chrono::milliseconds(5000));
  CHECK(defaults->api.max_body_bytes == 65536);
  CHECK(defaults->api.web_root == "web");
  CHECK(defaults->api.tenants.empty());

  auto config = load(R"(
api:
  command_timeout_ms: 2000
  max_body_bytes: 4096
  web_root: /srv/web
  tenants:
    demo:
      tokens:
        - {sha256: )" + kSha +
                         R"(, role: agent, name: Alice, agent: alice}
        - {sha256: )" + std::string(64, 'b') +
                         R"(, role: supervisor, name: ops}
      signing_keys:
        - {id: k1, secret: {env: API_KEY}}
)",
                     {{"API_KEY", kKey}});
  REQUIRE(config.has_value());
  CHECK(config->api.command_timeout == std::chrono::milliseconds(2000));
  const auto& demo = config->api.tenants.at("demo");
  REQUIRE(demo.tokens.size() == 2);
  CHECK(demo.tokens[0].role == api::ApiRole::agent);
  CHECK(demo.tokens[0].agent == "alice");
  CHECK(demo.tokens[1].role == api::ApiRole::supervisor);
  CHECK(demo.signing_keys.at(0).secret == kKey);
  CHECK(config->warnings.empty());
}

TEST_CASE("api: bad tokens, roles, agents and keys are errors at their positions") {
  auto text = R"(api:
  tenants:
    demo:
      tokens:
        - {sha256: XYZ, role: agent, name: a, agent: a}
        - {sha256: )" +
              kSha + R"(, role: boss, name: b}
        - {sha256: )" +
              std::string(64, 'c') + R"(, role: agent, name: c}
        - {sha256: )" +
              std::string(64, 'd') + R"(, role: admin, name: d, agent: d}
      signing_keys:
        - {id: k1, secret: short}
      extra: 1
    Bad!: {}
)";
  auto errors = errors_of(text);
  CHECK(errors.find("test.yaml:5:20: api.tenants.demo.tokens[0].sha256: expected 64 lower-case "
                    "hex digits") != std::string::npos);
  CHECK(errors.find("test.yaml:6:") != std::string::npos);
  CHECK(errors.find("unknown role 'boss'") != std::string::npos);
  CHECK(errors.find("a token with role agent needs 'agent'") != std::string::npos);
  CHECK(errors.find("only tokens with role agent name an agent") != std::string::npos);
  CHECK(errors.find("a signing key secret needs at least 32 bytes") != std::string::npos);
  CHECK(errors.find("unknown key 'extra'") != std::string::npos);
  CHECK(errors.find("tenant 'Bad!' must be 1 to 64") != std::string::npos);
}

TEST_CASE("api: one token hash in two places is an error; an inline key is a warning") {
  auto errors = errors_of(R"(api:
  tenants:
    a: {tokens: [{sha256: )" +
                          kSha + R"(, role: admin, name: x}]}
    b: {tokens: [{sha256: )" +
                          kSha + R"(, role: admin, name: y}]}
)");
  CHECK(errors.find("the token of b/y has the same sha256 as a/x") != std::string::npos);
  auto config = load("api:\n  tenants:\n    a: {signing_keys: [{id: k, secret: " + kKey + "}]}\n");
  REQUIRE(config.has_value());
  REQUIRE(config->warnings.size() == 1);
  CHECK(config->warnings[0].find(kKey) == std::string::npos);
}

TEST_CASE("io_threads: the configured count, else the cores less one for a Redis on this host") {
  Config config;
  config.threads = 3;
  CHECK(io_threads(config, 8) == 3);  // set: taken as is
  config.threads = 0;
  CHECK(config.redis.is_embedded());
  CHECK(io_threads(config, 8) == 7);  // embedded Redis keeps a core
  CHECK(io_threads(config, 2) == 1);
  CHECK(io_threads(config, 1) == 1);
  CHECK(io_threads(config, 0) == 1);  // hardware_concurrency() may not know
  for (const char* local : {"redis://127.0.0.1:6379", "redis://localhost:6380/2",
                            "redis://[::1]:6379", "unix:///run/redis/redis.sock"}) {
    config.redis.url = local;
    CHECK(io_threads(config, 4) == 3);
  }
  config.redis.url = "redis://10.0.0.5:6379";
  CHECK(io_threads(config, 4) == 4);  // Redis elsewhere: every core serves HTTP
  CHECK(io_threads(config, 200) == 64);
}
