// Token authentication: static tokens by hash, signed tokens by key, expiry by the injected
// clock; another tenant's token is a 404, never a confirmation that the tenant exists.
#include "api/auth.h"

#include <catch2/catch.hpp>

#include "api/routes.h"
#include "api/token.h"
#include "common/crypto.h"

using namespace omniroute;
using namespace omniroute::api;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-demo";

std::string sha256_hex(std::string_view token) {
  return crypto::hex_encode(crypto::digest(crypto::Digest::sha256, token));
}

api::ApiConfig config() {
  api::ApiConfig c;
  c.tenants["demo"].tokens = {{sha256_hex("alice-token"), ApiRole::agent, "alice", "alice"},
                              {sha256_hex("ops-token"), ApiRole::supervisor, "ops", ""}};
  c.tenants["demo"].signing_keys = {{"k1", kSecret}};
  c.tenants["other"].tokens = {{sha256_hex("other-token"), ApiRole::admin, "root", ""}};
  return c;
}

// Clock at 1'700'000'000 s.
std::string signed_token(std::int64_t exp, std::string tenant = "demo", std::string kid = "k1",
                         std::string secret = kSecret) {
  return sign_token(TokenClaims{kid, tenant, ApiRole::agent, "bob", exp}, secret);
}

}  // namespace

TEST_CASE("a static token is known by its hash and carries its role and agent") {
  ManualClock clock;
  Authenticator auth(config(), clock);
  auto r = auth.authenticate("demo", "alice-token");
  REQUIRE(r.ok());
  CHECK(r.principal->role == ApiRole::agent);
  CHECK(r.principal->agent == "alice");
  CHECK_FALSE(r.principal->expires_ms);
}

TEST_CASE("no token and an unknown token are 401 with their reasons") {
  ManualClock clock;
  Authenticator auth(config(), clock);
  CHECK(auth.authenticate("demo", "").denial.reason == "missing_token");
  auto r = auth.authenticate("demo", "guess");
  CHECK(r.denial.status == 401);
  CHECK(r.denial.reason == "unknown_token");
}

TEST_CASE("another tenant's static token is a 404 for this tenant") {
  ManualClock clock;
  Authenticator auth(config(), clock);
  auto r = auth.authenticate("demo", "other-token");
  CHECK(r.denial.status == 404);
  CHECK(r.denial.reason == "other_tenant");
  CHECK(auth.authenticate("nosuch", "alice-token").denial.status == 404);
}

TEST_CASE("a signed token is valid until its exp by the injected clock") {
  ManualClock clock(1'700'000'000'000);
  Authenticator auth(config(), clock);
  const auto token = signed_token(1'700'000'060);
  auto r = auth.authenticate("demo", token);
  REQUIRE(r.ok());
  CHECK(r.principal->agent == "bob");
  CHECK(*r.principal->expires_ms == 1'700'000'060'000);
  clock.advance(std::chrono::seconds(60));
  auto expired = auth.authenticate("demo", token);
  CHECK(expired.denial.status == 401);
  CHECK(expired.denial.reason == "expired");
}

TEST_CASE("a signed token with a bad signature, an unknown kid or for another tenant is refused") {
  ManualClock clock(1'700'000'000'000);
  Authenticator auth(config(), clock);
  auto forged = signed_token(1'800'000'000, "demo", "k1", std::string(40, 'x'));
  CHECK(auth.authenticate("demo", forged).denial.reason == "bad_signature");
  auto unknown = signed_token(1'800'000'000, "demo", "k9");
  CHECK(auth.authenticate("demo", unknown).denial.reason == "unknown_key");
  // Signed for demo, used on other: a 404 there once the signature holds.
  auto r = auth.authenticate("other", signed_token(1'800'000'000));
  CHECK(r.denial.status == 404);
  // A token whose payload claims another tenant has no key there: not even its tenant is taken.
  CHECK(auth.authenticate("demo", signed_token(1'800'000'000, "other")).denial.reason ==
        "unknown_key");
}

TEST_CASE("malformed signed tokens are 401 malformed, whatever is wrong with them") {
  ManualClock clock;
  Authenticator auth(config(), clock);
  const auto good = signed_token(1'800'000'000);
  const auto dot = good.rfind('.');
  for (std::string bad :
       {std::string("v1."), std::string("v1.abc"), "v1.!!!." + good.substr(dot + 1),
        "v1." + base64url_encode("[1,2]") + ".sig",
        "v1." + base64url_encode(R"({"kid":"k1"})") + ".sig", good.substr(0, dot) + ".a=b",
        std::string(5000, 'v')}) {
    if (!bad.starts_with("v1.")) bad = "v1." + bad;
    INFO(bad.substr(0, 60));
    auto r = auth.authenticate("demo", bad);
    CHECK(r.denial.status == 401);
    CHECK(r.denial.reason == "malformed");
  }
}

TEST_CASE("base64url round-trips every length and refuses padding and foreign characters") {
  for (std::size_t n = 0; n < 40; ++n) {
    std::string bytes = crypto::random_bytes(n);
    CHECK(base64url_decode(base64url_encode(bytes)) == bytes);
  }
  CHECK_FALSE(base64url_decode("ab=="));
  CHECK_FALSE(base64url_decode("a+b/"));
  CHECK_FALSE(base64url_decode("a"));
}

TEST_CASE("the token is read from Authorization, or from access_token for sockets only") {
  daemon::HttpRequest req;
  req.query = "access_token=abc&x=1";
  CHECK(Authenticator::token_of(req, false).empty());
  CHECK(Authenticator::token_of(req, true) == "abc");
  req.headers.emplace_back("authorization", "Bearer xyz");
  CHECK(Authenticator::token_of(req, true) == "xyz");
}

TEST_CASE("route roles: supervisor routes refuse agents, self routes refuse other agents") {
  Principal alice{"demo", ApiRole::agent, "alice", "alice", std::nullopt};
  Principal ops{"demo", ApiRole::supervisor, "ops", "", std::nullopt};
  auto route = [](std::string_view method, std::string_view path) {
    auto m = match_route(method, path);
    REQUIRE(m.route);
    return m;
  };
  auto list = route("GET", "/api/v1/tenants/demo/agents");
  CHECK(check_access(*list.route, alice, list.params)->status == 403);
  CHECK_FALSE(check_access(*list.route, ops, list.params));
  auto own = route("POST", "/api/v1/tenants/demo/agents/alice/sign-in");
  CHECK_FALSE(check_access(*own.route, alice, own.params));
  CHECK(check_access(*own.route, ops, own.params)->reason == "role");
  auto other = route("PUT", "/api/v1/tenants/demo/agents/bob/presence");
  CHECK(check_access(*other.route, alice, other.params)->reason == "other_agent");
  CHECK_FALSE(check_access(*other.route, ops, other.params));
  auto reload = route("POST", "/api/v1/tenants/demo/rules/reload");
  CHECK(check_access(*reload.route, ops, reload.params)->status == 403);
}

TEST_CASE("the route matcher: unknown paths, wrong methods with Allow, literal segments first") {
  CHECK_FALSE(match_route("GET", "/api/v1/tenants/demo/nothing").route);
  CHECK(match_route("GET", "/api/v1/tenants/demo/nothing").allowed.empty());
  auto wrong = match_route("DELETE", "/api/v1/tenants/demo/agents/alice");
  CHECK_FALSE(wrong.route);
  CHECK(wrong.allowed == std::vector<std::string>{"GET", "PATCH"});
  auto link = match_route("POST", "/api/v1/tenants/demo/customers/link");
  REQUIRE(link.route);
  CHECK(link.route->id == RouteId::customer_link);
  CHECK(match_route("GET", "/api/v1/tenants/demo/customers/01HX").route->id ==
        RouteId::customer_get);
  CHECK_FALSE(match_route("GET", "/api/v1/tenants/Demo!/me").route);
  CHECK_FALSE(match_route("GET", "/api/v1/tenants/demo/agents/a%2Fb").route);
}

namespace {

// A token over `payload` signed with the demo key: the signature holds, whatever the payload
// says, so only the claims' own checks can refuse it.
std::string signed_payload(std::string_view payload) {
  const std::string signed_part = "v1." + base64url_encode(payload);
  return signed_part + "." +
         base64url_encode(crypto::hmac(crypto::Digest::sha256, kSecret, signed_part));
}

std::string claims_json(std::string exp, std::string sub = "bob") {
  return R"({"kid":"k1","tenant":"demo","role":"agent","sub":")" + sub + R"(","exp":)" + exp + "}";
}

}  // namespace

TEST_CASE("base64url decodes only the canonical spelling (unused low bits zero)") {
  CHECK(base64url_decode("QQ") == "A");  // 'Q' = 010000: the 4 unused bits are zero
  CHECK_FALSE(base64url_decode("QR"));   // the same byte with an unused bit set
  CHECK(base64url_decode("QUI") == "AB");
  CHECK_FALSE(base64url_decode("QUJ"));
}

TEST_CASE("a signature spelled differently in its unused bits does not verify") {
  // HMAC-SHA256 is 32 bytes: 43 characters whose last one carries 2 unused bits. Flipping them
  // used to give three more strings that verified as the same token.
  ManualClock clock;
  Authenticator auth(config(), clock);
  const auto good = signed_token(1'800'000'000);
  REQUIRE(auth.authenticate("demo", good).principal.has_value());
  const auto last = good.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto value = alphabet.find(last);
  for (std::size_t low = 1; low < 4; ++low) {
    auto forged = good;
    forged.back() = alphabet[(value & ~std::size_t{3}) | low];
    INFO(forged);
    CHECK(auth.authenticate("demo", forged).denial.reason == "malformed");
  }
}

TEST_CASE("an exp whose milliseconds would overflow is malformed, not undefined behaviour") {
  ManualClock clock;
  Authenticator auth(config(), clock);
  for (std::string exp : {"9223372036854775807", "9223372036854775", "-1", "253402300800"}) {
    INFO(exp);
    auto r = auth.authenticate("demo", signed_payload(claims_json(exp)));
    CHECK(r.denial.reason == "malformed");
  }
  CHECK(
      auth.authenticate("demo", signed_payload(claims_json("253402300799"))).principal.has_value());
}

TEST_CASE("claims with a repeated key, an overlong sub or nesting are malformed even if signed") {
  ManualClock clock;
  Authenticator auth(config(), clock);
  const std::string repeated =
      R"({"kid":"k1","tenant":"demo","role":"agent","sub":"bob","exp":1800000000,)"
      R"("role":"admin"})";
  for (const auto& payload :
       {repeated, claims_json("1800000000", std::string(129, 'b')), claims_json("1800000000") + " ",
        claims_json("{\"a\":1}"), claims_json("1800000000").substr(0, 40)}) {
    INFO(payload);
    auto r = auth.authenticate("demo", signed_payload(payload));
    // A trailing space is still JSON and still the same claims: only it may pass.
    if (payload.ends_with(' ')) {
      CHECK(r.principal.has_value());
    } else {
      CHECK(r.denial.reason == "malformed");
    }
  }
  CHECK(auth.authenticate("demo", signed_payload(claims_json("1800000000", std::string(128, 'b'))))
            .principal.has_value());
}
