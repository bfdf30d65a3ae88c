// Deterministic randomized robustness: mutated and truncated valid packets go through
// parse_frame + decode. Nothing may crash or read out of bounds (the CI runs this under
// AddressSanitizer: every body is copied into a buffer of exactly its size), every failure
// must carry a reason code, and whatever decodes must survive encode + decode unchanged.
#include <gtest/gtest.h>

#include <random>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

const std::uint8_t kData[] = {0x00, 0x01, 0xFE, 0xFF};

// Seed packets: every type, with and without properties.
std::vector<Packet> seed_packets(Version version) {
  const bool v5 = version == Version::v5;
  Properties rich;
  rich.user_properties = {{"k", "v"}};
  rich.reason_string = "r";
  Properties publish_properties;
  publish_properties.payload_format_indicator = 1;
  publish_properties.topic_alias = 2;
  publish_properties.subscription_identifiers = {3, 400};
  publish_properties.correlation_data = Bytes(kData);
  publish_properties.response_topic = "resp";
  Properties connect_properties;
  connect_properties.receive_maximum = 5;
  connect_properties.authentication_method = "m";
  connect_properties.authentication_data = Bytes(kData);
  Properties will_properties;
  will_properties.will_delay_interval = 9;
  will_properties.content_type = "text";

  Connect connect;
  connect.version = version;
  connect.client_id = "cid";
  connect.keep_alive = 30;
  connect.username = "user";
  connect.password = Bytes(kData);
  if (v5) connect.properties = connect_properties;
  connect.will = Will{.qos = 1,
                      .retain = true,
                      .properties = v5 ? will_properties : Properties{},
                      .topic = "will/t",
                      .payload = as_bytes("bye")};
  Publish publish;
  publish.qos = 2;
  publish.packet_id = 9;
  publish.topic = "a/b";
  publish.payload = as_bytes("payload text");
  if (v5) publish.properties = publish_properties;
  Subscribe subscribe;
  subscribe.packet_id = 4;
  subscribe.subscriptions = {{.filter = "a/+", .qos = 1}, {.filter = "$share/g/b/#", .qos = 2}};
  if (v5) subscribe.properties.subscription_identifiers = {7};
  Suback suback;
  suback.packet_id = 4;
  suback.reasons = {ReasonCode::GrantedQos1, ReasonCode::UnspecifiedError};
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 5;
  unsubscribe.filters = {"a/+", "c"};
  Unsuback unsuback;
  unsuback.packet_id = 5;
  if (v5) unsuback.reasons = {ReasonCode::Success, ReasonCode::NoSubscriptionExisted};
  Connack connack;
  connack.session_present = true;
  if (v5) connack.properties.assigned_client_identifier = "auto";
  Puback puback;
  puback.packet_id = 1;
  Pubrec pubrec;
  pubrec.packet_id = 2;
  pubrec.reason = v5 ? ReasonCode::QuotaExceeded : ReasonCode::Success;
  if (v5) pubrec.properties = rich;
  Pubrel pubrel;
  pubrel.packet_id = 3;
  Pubcomp pubcomp;
  pubcomp.packet_id = 3;
  Disconnect disconnect;
  if (v5) {
    disconnect.reason = ReasonCode::ServerMoved;
    disconnect.properties.server_reference = "elsewhere";
  }
  std::vector<Packet> packets = {connect, connack,   publish,     puback,   pubrec,
                                 pubrel,  pubcomp,   subscribe,   suback,   unsubscribe,
                                 unsuback, Pingreq{}, Pingresp{}, disconnect};
  if (v5) {
    Auth auth;
    auth.reason = ReasonCode::ContinueAuthentication;
    auth.properties.authentication_method = "m";
    auth.properties.authentication_data = Bytes(kData);
    packets.push_back(auth);
  }
  return packets;
}

// Decodes every complete frame in `input`; checks the invariants above.
void check_stream(std::span<const std::uint8_t> input, Version version) {
  while (!input.empty()) {
    FixedHeader header;
    DecodeStatus status;
    const auto result = parse_frame(input, 1 << 16, header, status);
    if (result == FrameStatus::need_more) return;
    if (result == FrameStatus::error) {
      ASSERT_NE(status.code, ReasonCode::Success);
      return;
    }
    ASSERT_LE(header.total_size(), input.size());
    const ByteVector body(input.begin() + header.header_size,
                          input.begin() + static_cast<long>(header.total_size()));
    Packet packet;
    status = decode(header, body, version, packet);
    if (status.ok()) {
      const auto* connect = std::get_if<Connect>(&packet);
      const auto packet_version = connect ? connect->version : version;
      const auto reencoded = encode_bytes(packet, packet_version);
      ASSERT_EQ(reencoded.size(), encoded_size(packet, packet_version));
      const auto again = decode_bytes(reencoded, packet_version);
      ASSERT_TRUE(again.status.ok()) << again.status.detail;
      ASSERT_TRUE(same_packet(packet, again.packet));
    } else {
      ASSERT_NE(std::string_view(status.detail), "");
    }
    input = input.subspan(header.total_size());
  }
}

ByteVector mutate(const ByteVector& seed, std::mt19937& rng) {
  // Split into first byte and body so mutations can keep the Remaining Length consistent.
  FixedHeader header;
  DecodeStatus status;
  parse_frame(seed, 1 << 16, header, status);
  std::uint8_t first = seed[0];
  ByteVector body(seed.begin() + header.header_size, seed.end());
  const unsigned rounds = 1 + rng() % 4;
  for (unsigned i = 0; i < rounds; ++i) {
    const std::size_t at = body.empty() ? 0 : rng() % body.size();
    switch (rng() % 7) {
      case 0:
        if (!body.empty()) body[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        if (!body.empty()) body[at] = static_cast<std::uint8_t>(rng());
        break;
      case 2: {
        constexpr std::uint8_t interesting[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
        if (!body.empty()) body[at] = interesting[rng() % 5];
        break;
      }
      case 3: body.resize(at); break;
      case 4: body.insert(body.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng()));
        break;
      case 5:
        if (!body.empty()) body.erase(body.begin() + static_cast<long>(at));
        break;
      case 6: first = static_cast<std::uint8_t>(first ^ (1u << (rng() % 8))); break;
    }
  }
  if (rng() % 4 != 0) return packet_with_body(first, body);
  // Keep the original header: its Remaining Length no longer matches.
  ByteVector out(seed.begin(), seed.begin() + header.header_size);
  out[0] = first;
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

TEST(Mutation, TruncatedPacketsNeverDecodeOutOfBounds) {
  for (const auto version : {Version::v311, Version::v5}) {
    for (const auto& packet : seed_packets(version)) {
      const auto bytes = encode_bytes(packet, version);
      for (std::size_t size = 0; size <= bytes.size(); ++size) {
        const ByteVector prefix(bytes.begin(), bytes.begin() + static_cast<long>(size));
        check_stream(prefix, version);
      }
    }
  }
}

TEST(Mutation, MutatedPacketsAreRejectedOrRoundTrip) {
  std::mt19937 rng(20260611);  // fixed seed: the same inputs on every run and platform
  std::size_t decoded_ok = 0;
  for (const auto version : {Version::v311, Version::v5}) {
    std::vector<ByteVector> seeds;
    for (const auto& packet : seed_packets(version)) seeds.push_back(encode_bytes(packet, version));
    for (int i = 0; i < 8000; ++i) {
      const auto bytes = mutate(seeds[rng() % seeds.size()], rng);
      check_stream(bytes, version);
      if (HasFatalFailure()) return;
      const auto result = decode_bytes(bytes, version);
      if (result.frame == FrameStatus::complete && result.status.ok()) ++decoded_ok;
    }
  }
  // The mutations must not all be trivially rejected, or the round-trip check means nothing.
  EXPECT_GT(decoded_ok, 1000u) << decoded_ok;
}

}  // namespace
}  // namespace attestmq::mqtt::test
