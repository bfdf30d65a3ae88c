#include "client/packet_log.hpp"

#include <gtest/gtest.h>

namespace attestmq::client {
namespace {

TEST(PacketLog, DescribesPacketsLikeMosquittoDebugOutput) {
  const std::uint8_t payload[] = {'h', 'e', 'l', 'l', 'o'};
  mqtt::Publish publish;
  publish.qos = 1;
  publish.packet_id = 7;
  publish.topic = "a/b";
  publish.payload = payload;
  EXPECT_EQ(describe_packet(publish), "PUBLISH (d0, q1, r0, m7, 'a/b', ... (5 bytes))");
  mqtt::Suback suback;
  suback.packet_id = 2;
  suback.reasons = {mqtt::ReasonCode::GrantedQos1, mqtt::ReasonCode::NotAuthorized};
  EXPECT_EQ(describe_packet(suback), "SUBACK (Mid: 2, 1, 135)");
  EXPECT_EQ(describe_packet(mqtt::Pingreq{}), "PINGREQ");
  EXPECT_EQ(describe_packet(mqtt::Auth{}), "AUTH (0)");
  EXPECT_STREQ(packet_type_name(mqtt::PacketType::Unsuback), "UNSUBACK");
}

}  // namespace
}  // namespace attestmq::client
