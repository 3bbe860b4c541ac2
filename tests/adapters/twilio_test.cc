// Specification of the Twilio Messaging adapter: X-Twilio-Signature verification (checked
// against Twilio's documented example and signatures computed with Python's hmac module) and
// the mapping of SMS, MMS, WhatsApp and status-callback webhooks onto ContactEvent.
#include "adapters/twilio/twilio.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "adapters/adapter.h"
#include "adapters/common/form.h"
#include "common/crypto.h"
#include "tests/support/canonical_proto.h"

using omniroute::Errc;
using namespace omniroute::adapters;
namespace v1 = omniroute::v1;

namespace {

const std::string kToken = "9f86d081884c7d659a2feaa0c55ad015";
const std::string kUrl = "https://omniroute.example.com/webhooks/twilio/demo";

using Params = std::vector<std::pair<std::string, std::string>>;

std::string golden(const std::string& name) {
  const auto dir = std::filesystem::path(OMNIROUTE_SOURCE_DIR) / "tests/data/twilio";
  std::ifstream in(dir / name, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::unique_ptr<Adapter> make_adapter(const std::string& token = kToken) {
  auto made = twilio::factory().make(Settings{{"auth_token", token}});
  REQUIRE(made.has_value());
  return std::move(*made);
}

// The scheme as Twilio documents it, written out plainly for the tests.
std::string sign(const std::string& token, const std::string& url, Params params) {
  std::sort(params.begin(), params.end());
  std::string data = url;
  for (const auto& [k, v] : params) data += k + v;
  using namespace omniroute::crypto;
  return base64_encode(hmac(Digest::sha1, token, data));
}

std::string encode(const Params& params) {
  std::vector<form::Field> fields;
  for (const auto& [k, v] : params) fields.push_back({k, v});
  return form::encode(fields);
}

// Owns the bytes a WebhookRequest only views.
struct TestRequest {
  std::string method = "POST";
  std::string url = kUrl;
  std::string query;
  std::string body;
  std::optional<std::string> signature;

  WebhookRequest view() const {
    WebhookRequest r;
    r.method = method;
    r.path = "/webhooks/twilio/demo";
    r.query = query;
    r.public_url = url;
    r.body = body;
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    if (signature) r.headers.emplace_back("x-twilio-signature", *signature);
    return r;
  }
};

TestRequest signed_post(const Params& params, const std::string& url = kUrl) {
  TestRequest request;
  request.url = url;
  request.body = encode(params);
  request.signature = sign(kToken, url, params);
  return request;
}

const Params kDocsParams = {{"CallSid", "CA1234567890ABCDE"},
                            {"Caller", "+12349013030"},
                            {"Digits", "1234"},
                            {"From", "+12349013030"},
                            {"To", "+18005551212"}};

Errc verify_error(const Adapter& adapter, const TestRequest& request) {
  auto verdict = adapter.verify(request.view());
  REQUIRE_FALSE(verdict.has_value());
  return verdict.error().code;
}

v1::ContactEvent only_event(const Adapter& adapter, const TestRequest& request) {
  auto events = adapter.normalize(request.view());
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 1);
  return events->front();
}

Errc normalize_error(const Adapter& adapter, const TestRequest& request) {
  auto events = adapter.normalize(request.view());
  REQUIRE_FALSE(events.has_value());
  return events.error().code;
}

TestRequest golden_request(const std::string& name) {
  TestRequest request;
  request.body = golden(name);
  return request;
}

}  // namespace

// --- signature ---------------------------------------------------------------------------

TEST_CASE("the signature from Twilio's security documentation is accepted") {
  // Recomputed with Python's hmac: the docs page's example token, URL and parameters give
  // 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
  TestRequest request;
  request.url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  request.query = "foo=1&bar=2";
  request.body = encode(kDocsParams);
  request.signature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
  CHECK(sign("12345", request.url, kDocsParams) == *request.signature);
  CHECK(make_adapter("12345")->verify(request.view()).has_value());
}

TEST_CASE("golden webhooks signed by an independent implementation verify") {
  // Signatures computed with Python's hmac over urllib's parse of each file.
  const std::pair<const char*, const char*> cases[] = {
      {"sms.form", "xq/53cipEXolNZ5SWIfN6UJlKiw="},
      {"mms.form", "zD0sOiXs3d5mt6FF4uTyiYYvj4k="},
      {"whatsapp.form", "uaigvepg96N7Y4Mgfea2dUrHcAw="},
  };
  auto adapter = make_adapter();
  for (const auto& [file, signature] : cases) {
    auto request = golden_request(file);
    request.signature = signature;
    INFO(file);
    CHECK(adapter->verify(request.view()).has_value());
  }
}

TEST_CASE("a forged Twilio signature is rejected without revealing the expected one") {
  auto adapter = make_adapter();
  auto request = golden_request("sms.form");
  request.signature = sign("not-the-token", kUrl, {});
  auto verdict = adapter->verify(request.view());
  REQUIRE_FALSE(verdict.has_value());
  CHECK(verdict.error().code == Errc::unauthorized);
  CHECK(verdict.error().message.find("xq/53cipEXolNZ5SWIfN6UJlKiw=") == std::string::npos);
  CHECK(verdict.error().message.find(kToken) == std::string::npos);
}

TEST_CASE("a signed request whose body was altered is rejected") {
  auto adapter = make_adapter();
  auto request = golden_request("sms.form");
  request.signature = "xq/53cipEXolNZ5SWIfN6UJlKiw=";
  REQUIRE(adapter->verify(request.view()).has_value());
  request.body += "&Extra=1";
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
  request.body = golden("sms.form");
  request.body.replace(request.body.find("4521"), 4, "4522");
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
}

TEST_CASE("a request without X-Twilio-Signature is rejected") {
  auto adapter = make_adapter();
  auto request = golden_request("sms.form");
  auto verdict = adapter->verify(request.view());
  REQUIRE_FALSE(verdict.has_value());
  CHECK(verdict.error().code == Errc::unauthorized);
  CHECK(verdict.error().message == "X-Twilio-Signature header missing");
  request.signature = "";
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
}

TEST_CASE("a signature made for another URL is rejected") {
  auto adapter = make_adapter();
  auto request = signed_post(kDocsParams, "https://omniroute.example.com/webhooks/twilio/other");
  request.url = kUrl;
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
  request = signed_post(kDocsParams, kUrl + "?tenant=a");
  request.url = kUrl + "?tenant=b";
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
}

TEST_CASE("the order of posted parameters does not change the signature") {
  auto adapter = make_adapter();
  auto request = signed_post(kDocsParams);
  Params reversed(kDocsParams.rbegin(), kDocsParams.rend());
  request.body = encode(reversed);
  CHECK(adapter->verify(request.view()).has_value());
}

TEST_CASE("parameters are sorted by key in case-sensitive byte order") {
  auto adapter = make_adapter();
  const Params params = {{"b", "1"}, {"B", "2"}, {"a", "3"}, {"_", "4"}};
  TestRequest request;
  request.body = encode(params);
  // 'B' (0x42) < '_' (0x5F) < 'a' (0x61) < 'b' (0x62)
  using namespace omniroute::crypto;
  request.signature = base64_encode(hmac(Digest::sha1, kToken, kUrl + "B2_4a3b1"));
  CHECK(adapter->verify(request.view()).has_value());
}

TEST_CASE("a repeated key contributes each of its values, sorted") {
  auto adapter = make_adapter();
  using namespace omniroute::crypto;
  TestRequest request;
  request.body = "k=b&To=x&k=a";
  request.signature = base64_encode(hmac(Digest::sha1, kToken, kUrl + "Toxkakb"));
  CHECK(adapter->verify(request.view()).has_value());
  request.signature = base64_encode(hmac(Digest::sha1, kToken, kUrl + "Toxkbka"));
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
}

TEST_CASE("an exact duplicate pair verifies whether signed once (python) or twice (node)") {
  auto adapter = make_adapter();
  using namespace omniroute::crypto;
  TestRequest request;
  request.body = "k=a&k=a";
  request.signature = base64_encode(hmac(Digest::sha1, kToken, kUrl + "ka"));
  CHECK(adapter->verify(request.view()).has_value());
  request.signature = base64_encode(hmac(Digest::sha1, kToken, kUrl + "kaka"));
  CHECK(adapter->verify(request.view()).has_value());
}

TEST_CASE("a URL signed with the default port added verifies against the configured URL") {
  // Computed with Python's hmac over https://omniroute.example.com:443/webhooks/twilio/demo.
  auto adapter = make_adapter();
  auto request = golden_request("sms.form");
  request.signature = "jY9VZeteljOPYhNdCE1GNqZ6JL8=";
  CHECK(adapter->verify(request.view()).has_value());
}

TEST_CASE("a URL configured with a port verifies a signature made without it") {
  auto adapter = make_adapter();
  auto request = signed_post(kDocsParams, "http://omniroute.example.com/hook?x=1");
  request.url = "http://omniroute.example.com:8080/hook?x=1";
  CHECK(adapter->verify(request.view()).has_value());
}

TEST_CASE("a signature made with a different non-default port is rejected") {
  auto adapter = make_adapter();
  auto request =
      signed_post(kDocsParams, "https://omniroute.example.com:8443/webhooks/twilio/demo");
  request.url = kUrl;
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
}

TEST_CASE("URL variants are the URL, then the default port added or the port removed") {
  CHECK(twilio::signed_url_variants("https://h.example/p?q=1") ==
        std::vector<std::string>{"https://h.example/p?q=1", "https://h.example:443/p?q=1"});
  CHECK(twilio::signed_url_variants("http://h.example/p") ==
        std::vector<std::string>{"http://h.example/p", "http://h.example:80/p"});
  CHECK(twilio::signed_url_variants("https://h.example:443/p") ==
        std::vector<std::string>{"https://h.example:443/p", "https://h.example/p"});
  CHECK(twilio::signed_url_variants("not a url") == std::vector<std::string>{"not a url"});
}

TEST_CASE("for GET only the URL, query included, is signed") {
  auto adapter = make_adapter();
  TestRequest request;
  request.method = "GET";
  request.query = golden("sms.form");
  request.url = kUrl + "?" + request.query;
  request.signature = sign(kToken, request.url, {});
  CHECK(adapter->verify(request.view()).has_value());
  request.signature = sign(kToken, kUrl, {});
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);

  auto event = only_event(*adapter, request);
  CHECK(event.vendor_message_id() == "SM5c3f1e2d9a8b7c6d5e4f3a2b1c0d9e8f");
}

TEST_CASE("a JSON body is verified by the URL signature and its bodySHA256") {
  // Computed with Python's hashlib/hmac.
  const std::string body =
      R"({"ProductName":"Event Streams","Type":"com.twilio.messaging.message.delivered"})";
  const std::string hash = "240106c9ff5b5c4919c04490cf90e5570c02e68ca88da88335a0c43e4e1e5ade";
  auto adapter = make_adapter();
  TestRequest request;
  request.query = "bodySHA256=" + hash;
  request.url = kUrl + "?" + request.query;
  request.body = body;
  request.signature = "TjNpZRIUZlWHxfnpPLf+0+hYAV8=";
  CHECK(adapter->verify(request.view()).has_value());

  SECTION("a body that does not match the hash is rejected") {
    request.body = body + " ";
    CHECK(verify_error(*adapter, request) == Errc::unauthorized);
  }
  SECTION("a forged URL signature is rejected even with a matching hash") {
    request.signature = sign("wrong", request.url, {});
    CHECK(verify_error(*adapter, request) == Errc::unauthorized);
  }
  SECTION("an upper-case hex hash is accepted") {
    std::string upper = hash;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    request.query = "bodySHA256=" + upper;
    request.url = kUrl + "?" + request.query;
    request.signature = sign(kToken, request.url, {});
    CHECK(adapter->verify(request.view()).has_value());
  }
  SECTION("a JSON body is not an inbound message") {
    CHECK(normalize_error(*adapter, request) == Errc::invalid_input);
  }
}

TEST_CASE("a body that is not valid form data cannot be verified") {
  auto adapter = make_adapter();
  TestRequest request;
  request.body = "Body=%zz";
  request.signature = sign(kToken, kUrl, {});
  CHECK(verify_error(*adapter, request) == Errc::unauthorized);
  CHECK(normalize_error(*adapter, request) == Errc::invalid_input);
}

// --- factory and replies -----------------------------------------------------------------

TEST_CASE("the factory is registered as twilio with one required secret: auth_token") {
  const auto* factory = find_factory("twilio");
  REQUIRE(factory != nullptr);
  CHECK(factory->vendor == "twilio");
  REQUIRE(factory->settings.size() == 1);
  CHECK(factory->settings[0].name == "auth_token");
  CHECK(factory->settings[0].required);
  CHECK(factory->settings[0].secret);
}

TEST_CASE("an empty or missing auth_token is rejected when the adapter is built") {
  auto empty = twilio::factory().make(Settings{{"auth_token", ""}});
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().code == Errc::invalid_input);
  CHECK_FALSE(twilio::factory().make(Settings{}).has_value());
}

TEST_CASE("success is an empty TwiML response and forgeries get 403") {
  auto adapter = make_adapter();
  const auto reply = adapter->success_reply();
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "text/xml");
  CHECK(reply.body == R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)");
  CHECK(adapter->reject_status() == 403);
  CHECK(adapter->classify(golden_request("sms.form").view()) == RequestKind::event);
}

// --- normalisation -----------------------------------------------------------------------

TEST_CASE("an inbound SMS becomes one SMS ContactEvent") {
  auto event = only_event(*make_adapter(), golden_request("sms.form"));
  CHECK(event.channel() == v1::CHANNEL_SMS);
  CHECK(event.vendor() == "twilio");
  CHECK(event.vendor_message_id() == "SM5c3f1e2d9a8b7c6d5e4f3a2b1c0d9e8f");
  CHECK(event.sender().kind() == "phone");
  CHECK(event.sender().value() == "+14155550123");
  CHECK(event.sender().display_name().empty());
  CHECK(event.recipient() == "+14155550100");
  CHECK(event.conversation_key() == "twilio:+14155550100:+14155550123");
  CHECK(event.text() == "Hi, my order #4521 has not arrived yet. Can you help?");
  CHECK(event.attachments().empty());
  CHECK(event.vendor_timestamp_unix_ms() == 0);
  const std::map<std::string, std::string> attributes(event.attributes().begin(),
                                                      event.attributes().end());
  CHECK(attributes == std::map<std::string, std::string>{
                          {"from_country", "US"},
                          {"from_state", "CA"},
                          {"from_city", "SAN FRANCISCO"},
                          {"num_segments", "1"},
                          {"account_sid", "AC2f1e6f6ae4f0a1b2c3d4e5f60718293a"},
                          {"messaging_service_sid", "MG9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"},
                      });
}

TEST_CASE("verify then normalize on one parse gives the event a fresh parse gives") {
  auto adapter = make_adapter();
  for (const char* method : {"POST", "GET"}) {
    auto request = signed_post(
        {{"MessageSid", "SM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", "hi"}, {"NumMedia", "0"}});
    if (std::string_view(method) == "GET") {
      request.method = "GET";
      request.query = request.body;
      request.url = std::string(kUrl) + "?" + request.body;
      request.body.clear();
      request.signature = sign(kToken, request.url, {});
    }
    ParsedRequest parsed;
    REQUIRE(adapter->verify(request.view(), parsed).has_value());
    auto shared = adapter->normalize(request.view(), parsed);
    auto fresh = adapter->normalize(request.view());
    REQUIRE(shared.has_value());
    REQUIRE(fresh.has_value());
    REQUIRE(shared->size() == 1);
    CHECK(omniroute::testing::canonical(shared->front()) ==
          omniroute::testing::canonical(fresh->front()));
    CHECK(shared->front().vendor_message_id() == "SM1");
  }
}

TEST_CASE("the adapter leaves event id, tenant and received time to the daemon") {
  auto event = only_event(*make_adapter(), golden_request("sms.form"));
  CHECK(event.event_id().empty());
  CHECK(event.tenant().empty());
  CHECK(event.received_at_unix_ms() == 0);
}

TEST_CASE("an MMS with two media becomes attachments typed by content type") {
  auto event = only_event(*make_adapter(), golden_request("mms.form"));
  CHECK(event.channel() == v1::CHANNEL_SMS);
  CHECK(event.text() == "Photo of the damaged box and the receipt");
  REQUIRE(event.attachments_size() == 2);
  CHECK(event.attachments(0).type() == v1::ATTACHMENT_TYPE_IMAGE);
  CHECK(event.attachments(0).content_type() == "image/jpeg");
  CHECK(event.attachments(0).url() ==
        "https://api.twilio.com/2010-04-01/Accounts/AC2f1e6f6ae4f0a1b2c3d4e5f60718293a/Messages/"
        "MM0a1b2c3d4e5f60718293a4b5c6d7e8f9/Media/ME1111aaaa2222bbbb3333cccc4444dddd");
  CHECK(event.attachments(1).type() == v1::ATTACHMENT_TYPE_FILE);
  CHECK(event.attachments(1).content_type() == "application/pdf");
  CHECK(event.attachments(1).url().ends_with("/Media/ME5555eeee6666ffff7777aaaa8888bbbb"));
}

TEST_CASE("audio and video media map to their attachment types") {
  auto request = signed_post({{"MessageSid", "MM1"},
                              {"From", "+15550001111"},
                              {"To", "+15550002222"},
                              {"NumMedia", "3"},
                              {"MediaUrl0", "https://m/0"},
                              {"MediaContentType0", "audio/ogg"},
                              {"MediaUrl1", "https://m/1"},
                              {"MediaContentType1", "Video/MP4"},
                              {"MediaUrl2", "https://m/2"}});
  auto event = only_event(*make_adapter(), request);
  REQUIRE(event.attachments_size() == 3);
  CHECK(event.attachments(0).type() == v1::ATTACHMENT_TYPE_AUDIO);
  CHECK(event.attachments(1).type() == v1::ATTACHMENT_TYPE_VIDEO);
  CHECK(event.attachments(2).type() == v1::ATTACHMENT_TYPE_FILE);  // no content type given
  CHECK(event.attachments(2).content_type().empty());
}

TEST_CASE("a WhatsApp message via Twilio carries the profile name and WaId") {
  auto event = only_event(*make_adapter(), golden_request("whatsapp.form"));
  CHECK(event.channel() == v1::CHANNEL_WHATSAPP);
  CHECK(event.vendor_message_id() == "SMd4e5f60718293a4b5c6d7e8f90a1b2c3");
  CHECK(event.sender().kind() == "whatsapp");
  CHECK(event.sender().value() == "+5215512345678");
  CHECK(event.sender().display_name() == "María José");
  CHECK(event.recipient() == "+14155238886");
  CHECK(event.conversation_key() == "twilio:+14155238886:+5215512345678");
  CHECK(event.text() == "Hola, ¿tienen envío a Monterrey? 🚚");
  CHECK(event.attributes().at("wa_id") == "5215512345678");
  CHECK(event.attributes().at("message_type") == "text");
  CHECK_FALSE(event.attributes().contains("from_country"));
  CHECK_FALSE(event.attributes().contains("latitude"));
}

TEST_CASE("a WhatsApp location message carries latitude and longitude") {
  auto event = only_event(*make_adapter(), golden_request("whatsapp_location.form"));
  CHECK(event.text().empty());
  CHECK(event.attributes().at("message_type") == "location");
  CHECK(event.attributes().at("latitude") == "19.4326077");
  CHECK(event.attributes().at("longitude") == "-99.133208");
}

TEST_CASE("a WhatsApp button reply carries its payload") {
  auto request = signed_post({{"MessageSid", "SM1"},
                              {"From", "whatsapp:+15550001111"},
                              {"To", "whatsapp:+15550002222"},
                              {"Body", "Yes"},
                              {"ButtonText", "Yes"},
                              {"ButtonPayload", "confirm_order_4521"},
                              {"MessageType", "button"}});
  auto event = only_event(*make_adapter(), request);
  CHECK(event.attributes().at("button_payload") == "confirm_order_4521");
}

TEST_CASE("a delivery status callback yields no event and no error") {
  auto events = make_adapter()->normalize(golden_request("status_callback.form").view());
  REQUIRE(events.has_value());
  CHECK(events->empty());
}

TEST_CASE("a message with SmsStatus=received and no Body is still a message") {
  auto request = signed_post({{"MessageSid", "MM1"},
                              {"SmsStatus", "received"},
                              {"From", "+15550001111"},
                              {"To", "+15550002222"},
                              {"NumMedia", "1"},
                              {"MediaUrl0", "https://m/0"},
                              {"MediaContentType0", "image/png"}});
  auto event = only_event(*make_adapter(), request);
  CHECK(event.text().empty());
  CHECK(event.attachments_size() == 1);
}

TEST_CASE("MessageSid falls back to SmsMessageSid, then SmsSid") {
  auto adapter = make_adapter();
  auto request = signed_post(
      {{"SmsMessageSid", "SM-a"}, {"SmsSid", "SM-b"}, {"From", "+1"}, {"To", "+2"}, {"Body", "x"}});
  CHECK(only_event(*adapter, request).vendor_message_id() == "SM-a");
  request = signed_post({{"SmsSid", "SM-b"}, {"From", "+1"}, {"To", "+2"}, {"Body", "x"}});
  CHECK(only_event(*adapter, request).vendor_message_id() == "SM-b");
}

TEST_CASE("a message without any MessageSid is invalid input") {
  auto request = signed_post({{"From", "+15550001111"}, {"To", "+15550002222"}, {"Body", "x"}});
  auto events = make_adapter()->normalize(request.view());
  REQUIRE_FALSE(events.has_value());
  CHECK(events.error().code == Errc::invalid_input);
  CHECK(events.error().message == "MessageSid missing");
}

TEST_CASE("a message without From or To is invalid input") {
  auto adapter = make_adapter();
  CHECK(normalize_error(*adapter, signed_post({{"MessageSid", "SM1"}, {"To", "+2"}})) ==
        Errc::invalid_input);
  CHECK(normalize_error(*adapter, signed_post({{"MessageSid", "SM1"}, {"From", "+1"}})) ==
        Errc::invalid_input);
}

TEST_CASE("NumMedia that is not an integer from 0 to 10 is invalid input") {
  auto adapter = make_adapter();
  for (const char* bad :
       {"-1", "11", "100", "abc", "", "1e1", " 1", "0x1", "99999999999999999999"}) {
    INFO("NumMedia=" << bad);
    auto request = signed_post(
        {{"MessageSid", "MM1"}, {"From", "+1"}, {"To", "+2"}, {"Body", "x"}, {"NumMedia", bad}});
    CHECK(normalize_error(*adapter, request) == Errc::invalid_input);
  }
}

TEST_CASE("a NumMedia larger than the media URLs sent is invalid input") {
  auto adapter = make_adapter();
  auto request = signed_post({{"MessageSid", "MM1"},
                              {"From", "+1"},
                              {"To", "+2"},
                              {"NumMedia", "2"},
                              {"MediaUrl0", "https://m/0"}});
  auto events = adapter->normalize(request.view());
  REQUIRE_FALSE(events.has_value());
  CHECK(events.error().code == Errc::invalid_input);
  CHECK(events.error().message.find("MediaUrl1") != std::string::npos);
}

// The adapter sorts on the first 8 key bytes as a number and compares the rest only on a tie:
// keys that share 8 bytes, keys that are prefixes of others, NUL and non-ASCII bytes and
// repeated keys must still sort exactly as plain byte order does.
TEST_CASE("keys sharing a prefix, NUL and non-ASCII bytes sort in byte order when signing") {
  auto adapter = make_adapter();
  const Params params = {{"MediaUrl10", "c"},
                         {"MediaUrl1", "b"},
                         {"MediaUrl0", "a"},
                         {"MediaContentType0", "image/png"},
                         {"Media", "m"},
                         {"MediaUrl", "u"},
                         {std::string("Media\0x", 7), "nul"},
                         {"Medi\xC3\xA9", "e-acute"},
                         {"MediaUrl1", "a"},
                         {"From", "+1"},
                         {"FromCity", "X"},
                         {"Fro", "y"},
                         {"", "empty key"}};
  auto request = signed_post(params);
  CHECK(adapter->verify(request.view()).has_value());
  // The same fields in another arrival order verify with the same signature.
  auto reversed = Params(params.rbegin(), params.rend());
  request.body = encode(reversed);
  CHECK(adapter->verify(request.view()).has_value());
}
