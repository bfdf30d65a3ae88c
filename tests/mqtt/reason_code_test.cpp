// Reason code names (MQTT 5.0 section 2.4) and the 3.1.1 CONNACK mapping (3.1.1 3.2.2.3).
#include <gtest/gtest.h>

#include "mqtt/reason_code.hpp"
#include "mqtt/reason_code_rules.hpp"

namespace attestmq::mqtt {
namespace {

TEST(ReasonCodes, Names) {
  EXPECT_EQ(to_string(ReasonCode::Success), "Success");
  EXPECT_EQ(to_string(ReasonCode::MalformedPacket), "Malformed Packet");
  EXPECT_EQ(to_string(ReasonCode::TopicAliasInvalid), "Topic Alias invalid");
  EXPECT_EQ(to_string(ReasonCode::WildcardSubscriptionsNotSupported),
            "Wildcard Subscriptions not supported");
  EXPECT_EQ(to_string(static_cast<ReasonCode>(0x03)), "Unknown reason code");
}

// Every code some packet may carry has a name.
TEST(ReasonCodes, EveryUsableCodeIsNamed) {
  int usable = 0;
  for (unsigned value = 0; value <= 0xFF; ++value) {
    const auto code = static_cast<ReasonCode>(value);
    bool allowed_somewhere = false;
    for (unsigned type = 1; type <= 15; ++type) {
      allowed_somewhere |= reason_code_allowed(static_cast<PacketType>(type), code);
    }
    if (!allowed_somewhere) continue;
    ++usable;
    EXPECT_NE(to_string(code), "Unknown reason code") << value;
  }
  EXPECT_EQ(usable, 43);  // section 2.4, table 2-6
}

TEST(ReasonCodes, V311ConnackMapping) {
  EXPECT_EQ(to_v311_connack(ReasonCode::Success), ConnackReturnCode::Accepted);
  EXPECT_EQ(to_v311_connack(ReasonCode::UnsupportedProtocolVersion),
            ConnackReturnCode::UnacceptableProtocolVersion);
  EXPECT_EQ(to_v311_connack(ReasonCode::ClientIdentifierNotValid),
            ConnackReturnCode::IdentifierRejected);
  EXPECT_EQ(to_v311_connack(ReasonCode::ServerBusy), ConnackReturnCode::ServerUnavailable);
  EXPECT_EQ(to_v311_connack(ReasonCode::BadUserNameOrPassword),
            ConnackReturnCode::BadUserNameOrPassword);
  EXPECT_EQ(to_v311_connack(ReasonCode::BadAuthenticationMethod),
            ConnackReturnCode::BadUserNameOrPassword);
  EXPECT_EQ(to_v311_connack(ReasonCode::NotAuthorized), ConnackReturnCode::NotAuthorized);
  EXPECT_EQ(to_v311_connack(ReasonCode::Banned), ConnackReturnCode::NotAuthorized);
  EXPECT_EQ(to_v311_connack(ReasonCode::QuotaExceeded), ConnackReturnCode::ServerUnavailable);
}

}  // namespace
}  // namespace attestmq::mqtt
