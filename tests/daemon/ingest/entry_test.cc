// The stream entry bytes the ingest path writes by hand must be exactly what protobuf writes
// for the same StreamEntry: consumers parse them as one.
#include <catch2/catch.hpp>
#include <string>

#include "daemon/ingest/ingest.h"

using namespace omniroute;

namespace {

v1::StreamEntry entry_of(const v1::ContactEvent& event) {
  v1::StreamEntry entry;
  entry.set_schema_version(daemon::kStreamSchemaVersion);
  *entry.mutable_contact() = event;
  return entry;
}

v1::ContactEvent full_event(std::size_t text_bytes) {
  v1::ContactEvent event;
  event.set_event_id("01HZX3J6W8Q9R2S3T4V5W6X7Y8");
  event.set_tenant("acme");
  event.set_channel(v1::CHANNEL_WHATSAPP);
  event.set_vendor("twilio");
  event.set_vendor_message_id("SM0123456789abcdef0123456789abcdef");
  event.mutable_sender()->set_kind("whatsapp");
  event.mutable_sender()->set_value("+14155550123");
  event.mutable_sender()->set_display_name("Zoë");
  event.set_recipient("+14155550100");
  event.set_conversation_key("twilio:+14155550100:+14155550123");
  event.set_text(std::string(text_bytes, 'x'));
  auto* attachment = event.add_attachments();
  attachment->set_type(v1::ATTACHMENT_TYPE_IMAGE);
  attachment->set_url("https://api.twilio.com/media/1");
  attachment->set_content_type("image/jpeg");
  event.set_received_at_unix_ms(1700000000123);
  (*event.mutable_attributes())["from_country"] = "US";
  (*event.mutable_attributes())["num_segments"] = "1";
  event.set_raw_payload_ref("redis:omniroute:t:acme:raw:01HZX3J6W8Q9R2S3T4V5W6X7Y8");
  event.set_raw_payload_sha256(std::string(64, 'a'));
  return event;
}

}  // namespace

TEST_CASE("a stream entry written by hand is byte for byte what protobuf writes") {
  // Text sizes around the points where the contact's length prefix grows a byte.
  for (std::size_t text : {0, 1, 100, 127, 128, 16000, 16383, 16384, 70000, 2100000}) {
    // One message for both: protobuf maps iterate in an order of their own (seeded per map),
    // so a copy of the event may write its attributes in another order.
    const auto entry = entry_of(full_event(text));
    INFO("text bytes " << text);
    CHECK(daemon::serialize_stream_entry(entry.contact()) == entry.SerializeAsString());
  }
}

TEST_CASE("an empty contact event still makes a stream entry with its contact") {
  const auto entry = entry_of(v1::ContactEvent{});
  const auto bytes = daemon::serialize_stream_entry(entry.contact());
  CHECK(bytes == entry.SerializeAsString());
  v1::StreamEntry parsed;
  REQUIRE(parsed.ParseFromString(bytes));
  CHECK(parsed.schema_version() == daemon::kStreamSchemaVersion);
  CHECK(parsed.has_contact());
}
