// The persisted records' bytes (broker/stored_records.hpp): what is written reads back the
// same, and a record cut short, padded or with a byte changed is refused with a reason or
// read as a different but valid record, never trusted past its end.
#include <gtest/gtest.h>

#include "broker/stored_records.hpp"

namespace attestmq::broker {
namespace {

constexpr Clocks kNow{5'000'000, 1'700'000'000};

Message full_message() {
  Message m;
  m.topic = "sensors/kitchen/temp";
  m.payload = {'2', '1', '.', '5'};
  m.qos = 2;
  m.retain = true;
  m.payload_format_indicator = 1;
  m.content_type = "text/plain";
  m.response_topic = "replies/1";
  m.correlation_data = std::vector<std::uint8_t>{0, 1, 2};
  m.user_properties = {{"site", "lab"}, {"floor", "2"}};
  m.expires_at_ms = kNow.now_ms + 60'500;
  return m;
}

DeliveryRecord full_delivery() {
  DeliveryRecord record;
  record.client_id = "subscriber-7";
  record.packet_id = 513;
  record.delivery = Delivery{std::make_shared<Message>(full_message()), 2, true, {7, 300000}};
  return record;
}

void expect_same_message(const Message& a, const Message& b) {
  EXPECT_EQ(a.topic, b.topic);
  EXPECT_EQ(a.payload, b.payload);
  EXPECT_EQ(a.qos, b.qos);
  EXPECT_EQ(a.retain, b.retain);
  EXPECT_EQ(a.payload_format_indicator, b.payload_format_indicator);
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.response_topic, b.response_topic);
  EXPECT_EQ(a.correlation_data, b.correlation_data);
  ASSERT_EQ(a.user_properties.size(), b.user_properties.size());
  for (std::size_t i = 0; i < a.user_properties.size(); ++i) {
    EXPECT_EQ(a.user_properties[i].name, b.user_properties[i].name);
    EXPECT_EQ(a.user_properties[i].value, b.user_properties[i].value);
  }
}

TEST(StoredRecords, ADeliveryReadsBackAsWritten) {
  const DeliveryRecord written = full_delivery();
  auto read = decode_delivery(encode_delivery(written, kNow), kNow);
  ASSERT_TRUE(std::holds_alternative<DeliveryRecord>(read)) << std::get<std::string>(read);
  const auto& record = std::get<DeliveryRecord>(read);
  EXPECT_EQ(record.client_id, "subscriber-7");
  EXPECT_EQ(record.packet_id, 513);
  EXPECT_FALSE(record.awaiting_pubcomp);
  EXPECT_EQ(record.delivery.qos, 2);
  EXPECT_TRUE(record.delivery.retain);
  EXPECT_EQ(record.delivery.subscription_ids, (std::vector<std::uint32_t>{7, 300000}));
  expect_same_message(*record.delivery.message, *written.delivery.message);
  // Rounded up to the second: 60.5 s left when written.
  EXPECT_EQ(record.delivery.message->expires_at_ms, kNow.now_ms + 61'000);
}

TEST(StoredRecords, ExpiryCountsTheTimeTheBrokerWasStopped) {
  const auto bytes = encode_retained(full_message(), kNow);
  const Clocks later{100, kNow.wall_s + 50};  // restarted 50 s later, on a fresh monotonic clock
  auto read = decode_retained(bytes, later);
  ASSERT_TRUE(std::holds_alternative<MessagePtr>(read));
  EXPECT_EQ(std::get<MessagePtr>(read)->expires_at_ms, 100 + 11'000);
  auto expired = decode_retained(bytes, Clocks{100, kNow.wall_s + 3600});
  EXPECT_EQ(std::get<MessagePtr>(expired)->expires_at_ms, 100u);
}

TEST(StoredRecords, AReleasedDeliveryKeepsOnlyItsPacketIdentifier) {
  DeliveryRecord written = full_delivery();
  written.awaiting_pubcomp = true;
  written.delivery.message.reset();
  auto read = decode_delivery(encode_delivery(written, kNow), kNow);
  ASSERT_TRUE(std::holds_alternative<DeliveryRecord>(read)) << std::get<std::string>(read);
  EXPECT_TRUE(std::get<DeliveryRecord>(read).awaiting_pubcomp);
  EXPECT_EQ(std::get<DeliveryRecord>(read).delivery.message, nullptr);
}

TEST(StoredRecords, ASessionReadsBackAsWritten) {
  Session session;
  session.expiry_interval_s = 86'400;
  session.incoming_qos2 = {3, 65535};
  session.subscriptions.push_back({"a/+/c", SubscriptionOptions{2, true, true, 2, 268'435'455}});
  session.subscriptions.push_back({"$share/g/x/#", SubscriptionOptions{1, false, false, 0, 0}});
  auto read = decode_session(encode_session(session, kNow), kNow);
  ASSERT_TRUE(std::holds_alternative<SessionRecord>(read)) << std::get<std::string>(read);
  const auto& record = std::get<SessionRecord>(read);
  EXPECT_EQ(record.expiry_interval_s, 86'400u);
  EXPECT_EQ(record.incoming_qos2, session.incoming_qos2);
  ASSERT_EQ(record.subscriptions.size(), 2u);
  const SubscriptionOptions& o = record.subscriptions[0].options;
  EXPECT_EQ(record.subscriptions[0].filter, "a/+/c");
  EXPECT_EQ(o.qos, 2);
  EXPECT_TRUE(o.no_local);
  EXPECT_TRUE(o.retain_as_published);
  EXPECT_EQ(o.retain_handling, 2);
  EXPECT_EQ(o.subscription_id, 268'435'455u);
  EXPECT_EQ(record.subscriptions[1].filter, "$share/g/x/#");

  EXPECT_EQ(record.will, nullptr);

  // Whose session it is, for the acl_file.
  session.listener = 2;
  session.username = "alice";
  const auto owned = std::get<SessionRecord>(decode_session(encode_session(session, kNow), kNow));
  EXPECT_EQ(owned.listener, 2u);
  EXPECT_EQ(owned.username, "alice");

  // Beyond 2^32-1 s is kept as 2^32-1 s, which a deadline computation cannot overflow.
  session.expiry_interval_s = std::uint64_t{1} << 40;
  EXPECT_EQ(std::get<SessionRecord>(decode_session(encode_session(session, kNow), kNow)).expiry_interval_s,
            UINT32_MAX);

  session.expiry_interval_s.reset();  // never expires
  EXPECT_FALSE(std::get<SessionRecord>(decode_session(encode_session(session, kNow), kNow)).expiry_interval_s);
}

// Section 3.1.3.2: a delayed will that is due keeps its deadline in wall-clock time.
TEST(StoredRecords, ASessionsWillReadsBackWithItsDeadline) {
  Session session;
  session.expiry_interval_s = 600;
  session.will = std::make_shared<Message>(full_message());
  session.will->expires_at_ms.reset();
  session.will_delay_s = 30;
  session.will_expiry_interval_s = 120;
  session.will_at_ms = kNow.now_ms + 20'000;
  const Clocks later{100, kNow.wall_s + 5};
  auto read = decode_session(encode_session(session, kNow), later);
  ASSERT_TRUE(std::holds_alternative<SessionRecord>(read)) << std::get<std::string>(read);
  const auto& record = std::get<SessionRecord>(read);
  ASSERT_NE(record.will, nullptr);
  expect_same_message(*record.will, *session.will);
  EXPECT_EQ(record.will_delay_s, 30u);
  EXPECT_EQ(record.will_expiry_interval_s, 120u);
  EXPECT_EQ(record.will_at_ms, 100u + 15'000);

  session.will_at_ms.reset();  // its client was connected
  EXPECT_FALSE(std::get<SessionRecord>(decode_session(encode_session(session, kNow), kNow)).will_at_ms);
}

// Every proper prefix of a record is refused, and so is a record with a byte more.
TEST(StoredRecords, ARecordCutShortOrPaddedIsRefused) {
  Session session;
  session.expiry_interval_s = 10;
  session.incoming_qos2 = {9};
  session.subscriptions.push_back({"a/#", SubscriptionOptions{1, false, false, 0, 5}});
  session.will = std::make_shared<Message>(full_message());
  session.will_at_ms = kNow.now_ms;
  const auto records = {encode_delivery(full_delivery(), kNow), encode_retained(full_message(), kNow),
                        encode_session(session, kNow)};
  int kind = 0;
  for (const auto& whole : records) {
    ++kind;
    auto refused = [&](std::span<const std::uint8_t> bytes) {
      if (kind == 1) return std::holds_alternative<std::string>(decode_delivery(bytes, kNow));
      if (kind == 2) return std::holds_alternative<std::string>(decode_retained(bytes, kNow));
      return std::holds_alternative<std::string>(decode_session(bytes, kNow));
    };
    for (std::size_t size = 0; size < whole.size(); ++size)
      EXPECT_TRUE(refused(std::span(whole).first(size))) << "kind " << kind << ", " << size << " bytes";
    auto padded = whole;
    padded.push_back(0);
    EXPECT_TRUE(refused(padded)) << "kind " << kind;
    EXPECT_FALSE(refused(whole)) << "kind " << kind;
  }
}

TEST(StoredRecords, RefusalsSayWhatIsWrong) {
  auto why = [](const std::variant<DeliveryRecord, std::string>& read) {
    return std::holds_alternative<std::string>(read) ? std::get<std::string>(read) : "(accepted)";
  };
  auto bytes = encode_delivery(full_delivery(), kNow);
  bytes[0] = 2;
  EXPECT_EQ(why(decode_delivery(bytes, kNow)), "delivery record: record format 2 is not one this broker reads");

  DeliveryRecord qos0 = full_delivery();
  qos0.delivery.qos = 0;
  EXPECT_EQ(why(decode_delivery(encode_delivery(qos0, kNow), kNow)), "delivery record: a delivery at QoS 0");

  DeliveryRecord wildcard = full_delivery();
  std::const_pointer_cast<Message>(wildcard.delivery.message)->topic = "a/+";
  EXPECT_EQ(why(decode_delivery(encode_delivery(wildcard, kNow), kNow)),
            "delivery record: an invalid topic name");

  DeliveryRecord no_id = full_delivery();
  no_id.delivery.subscription_ids = {0};
  EXPECT_EQ(why(decode_delivery(encode_delivery(no_id, kNow), kNow)),
            "delivery record: Subscription Identifier 0");

  DeliveryRecord format = full_delivery();
  std::const_pointer_cast<Message>(format.delivery.message)->payload_format_indicator = 2;
  EXPECT_EQ(why(decode_delivery(encode_delivery(format, kNow), kNow)),
            "delivery record: a Payload Format Indicator other than 0 or 1");

  DeliveryRecord released = full_delivery();
  released.awaiting_pubcomp = true;
  released.packet_id = 0;
  released.delivery.message.reset();
  EXPECT_EQ(why(decode_delivery(encode_delivery(released, kNow), kNow)),
            "delivery record: awaiting PUBCOMP without a QoS 2 packet identifier");
}

// Whatever a damaged disk or a hostile host hands back, reading stays inside the bytes (run
// under ASan in CI): each single-byte change is either refused or read as some valid record.
TEST(StoredRecords, AnyChangedByteIsReadSafely) {
  const auto whole = encode_delivery(full_delivery(), kNow);
  for (std::size_t at = 0; at < whole.size(); ++at) {
    for (const std::uint8_t value : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
      auto changed = whole;
      changed[at] = value;
      auto read = decode_delivery(changed, kNow);
      if (auto* record = std::get_if<DeliveryRecord>(&read)) {
        EXPECT_TRUE(record->delivery.qos == 1 || record->delivery.qos == 2);
      }
    }
  }
}

TEST(StoredRecords, DeliveryKeysSortInSequenceOrder) {
  EXPECT_LT(delivery_key(255), delivery_key(256));
  EXPECT_LT(delivery_key(0xFFFFFFFF), delivery_key(0x100000000));
  EXPECT_EQ(delivery_sequence(delivery_key(0x0123456789ABCDEF)), 0x0123456789ABCDEFu);
  EXPECT_FALSE(delivery_sequence(std::vector<std::uint8_t>(7, 0)));
  EXPECT_FALSE(delivery_sequence(std::vector<std::uint8_t>(9, 0)));
}

}  // namespace
}  // namespace attestmq::broker
