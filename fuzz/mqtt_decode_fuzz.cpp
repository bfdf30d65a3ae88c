// The MQTT packet codec (src/mqtt) on bytes from an untrusted peer, both protocol versions.
// The first input byte picks the version the stream starts in (bit 0: 5.0, else 3.1.1) and
// bit 1 a small Maximum Packet Size; the rest is a byte stream cut into packets by
// parse_frame, as a connection would. A CONNECT that decodes switches the stream to its own
// version, as the engine does (MQTT 5.0 section 3.1.2.2).
// Oracles, beyond "no crash, no sanitizer report":
// - framing: a complete frame lies inside the input, its header is 2 to 5 bytes, and one byte
//   less of it is reported as need_more (partial input is never mistaken for a packet);
// - round trip: every packet that decodes is re-encoded (encoded_size() must be exact), the
//   encoding must frame and decode again, and the second packet must equal the first field by
//   field (Packet has no operator==: its spans compare by address, so bytes are compared).
//   Re-encoding reads every view the decoder returned, so a view reaching past the input
//   (which libFuzzer allocates to its exact size) is an AddressSanitizer report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "mqtt/codec.hpp"

namespace {

using namespace attestmq::mqtt;

void require(bool condition) {
  if (!condition) std::abort();
}

// Field equality: values by value, views by their bytes. Declared first so that the templates
// below find the overloads for the structs they hold.
bool same(const Will& a, const Will& b);
bool same(const Subscription& a, const Subscription& b);
bool same(Bytes a, Bytes b) { return std::ranges::equal(a, b); }
bool same(std::string_view a, std::string_view b) { return a == b; }
template <typename T>
bool same(const T& a, const T& b) { return a == b; }
template <typename T>
bool same(const std::optional<T>& a, const std::optional<T>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}
template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return std::ranges::equal(a, b, [](const T& x, const T& y) { return same(x, y); });
}

bool same(const Properties& a, const Properties& b) {
  return same(a.payload_format_indicator, b.payload_format_indicator) &&
         same(a.message_expiry_interval, b.message_expiry_interval) &&
         same(a.content_type, b.content_type) && same(a.response_topic, b.response_topic) &&
         same(a.correlation_data, b.correlation_data) &&
         same(a.subscription_identifiers, b.subscription_identifiers) &&
         same(a.session_expiry_interval, b.session_expiry_interval) &&
         same(a.assigned_client_identifier, b.assigned_client_identifier) &&
         same(a.server_keep_alive, b.server_keep_alive) &&
         same(a.authentication_method, b.authentication_method) &&
         same(a.authentication_data, b.authentication_data) &&
         same(a.request_problem_information, b.request_problem_information) &&
         same(a.will_delay_interval, b.will_delay_interval) &&
         same(a.request_response_information, b.request_response_information) &&
         same(a.response_information, b.response_information) &&
         same(a.server_reference, b.server_reference) &&
         same(a.reason_string, b.reason_string) && same(a.receive_maximum, b.receive_maximum) &&
         same(a.topic_alias_maximum, b.topic_alias_maximum) &&
         same(a.topic_alias, b.topic_alias) && same(a.maximum_qos, b.maximum_qos) &&
         same(a.retain_available, b.retain_available) &&
         same(a.user_properties, b.user_properties) &&
         same(a.maximum_packet_size, b.maximum_packet_size) &&
         same(a.wildcard_subscription_available, b.wildcard_subscription_available) &&
         same(a.subscription_identifier_available, b.subscription_identifier_available) &&
         same(a.shared_subscription_available, b.shared_subscription_available);
}

bool same(const Will& a, const Will& b) {
  return a.qos == b.qos && a.retain == b.retain && same(a.properties, b.properties) &&
         a.topic == b.topic && same(a.payload, b.payload);
}

bool same(const Subscription& a, const Subscription& b) {
  return a.filter == b.filter && a.qos == b.qos && a.no_local == b.no_local &&
         a.retain_as_published == b.retain_as_published &&
         a.retain_handling == b.retain_handling;
}

bool same(const Connect& a, const Connect& b) {
  return a.version == b.version && a.clean_start == b.clean_start &&
         a.keep_alive == b.keep_alive && same(a.properties, b.properties) &&
         a.client_id == b.client_id && same(a.will, b.will) && same(a.username, b.username) &&
         same(a.password, b.password);
}
bool same(const Connack& a, const Connack& b) {
  return a.session_present == b.session_present && a.reason == b.reason &&
         same(a.properties, b.properties);
}
bool same(const Publish& a, const Publish& b) {
  return a.dup == b.dup && a.qos == b.qos && a.retain == b.retain && a.topic == b.topic &&
         a.packet_id == b.packet_id && same(a.properties, b.properties) &&
         same(a.payload, b.payload);
}
template <PacketType Type>
bool same(const Ack<Type>& a, const Ack<Type>& b) {
  return a.packet_id == b.packet_id && a.reason == b.reason && same(a.properties, b.properties);
}
bool same(const Subscribe& a, const Subscribe& b) {
  return a.packet_id == b.packet_id && same(a.properties, b.properties) &&
         same(a.subscriptions, b.subscriptions);
}
bool same(const Suback& a, const Suback& b) {
  return a.packet_id == b.packet_id && same(a.properties, b.properties) && a.reasons == b.reasons;
}
bool same(const Unsubscribe& a, const Unsubscribe& b) {
  return a.packet_id == b.packet_id && same(a.properties, b.properties) &&
         same(a.filters, b.filters);
}
bool same(const Unsuback& a, const Unsuback& b) {
  return a.packet_id == b.packet_id && same(a.properties, b.properties) && a.reasons == b.reasons;
}
bool same(const Pingreq&, const Pingreq&) { return true; }
bool same(const Pingresp&, const Pingresp&) { return true; }
bool same(const Disconnect& a, const Disconnect& b) {
  return a.reason == b.reason && same(a.properties, b.properties);
}
bool same(const Auth& a, const Auth& b) {
  return a.reason == b.reason && same(a.properties, b.properties);
}

bool same_packet(const Packet& a, const Packet& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& left) {
        return same(left, std::get<std::remove_cvref_t<decltype(left)>>(b));
      },
      a);
}

// Frames `input` and checks what parse_frame promises about a complete frame.
FrameStatus frame(std::span<const std::uint8_t> input, std::uint32_t max_packet_size,
                  FixedHeader& header) {
  DecodeStatus status;
  const FrameStatus result = parse_frame(input, max_packet_size, header, status);
  if (result == FrameStatus::error) require(!status.ok());
  if (result != FrameStatus::complete) return result;
  require(header.header_size >= 2 && header.header_size <= 5);
  require(header.total_size() <= input.size() && header.total_size() <= max_packet_size);
  FixedHeader shorter;
  require(parse_frame(input.first(header.total_size() - 1), max_packet_size, shorter, status) ==
          FrameStatus::need_more);
  return result;
}

void check_round_trip(const Packet& packet, Version version) {
  std::vector<std::uint8_t> encoded;
  encode(packet, version, encoded);
  require(encoded.size() == encoded_size(packet, version));
  FixedHeader header;
  require(frame(encoded, kMaxRemainingLength + 5, header) == FrameStatus::complete);
  require(header.total_size() == encoded.size());
  Packet again;
  const auto body = std::span<const std::uint8_t>(encoded).subspan(header.header_size);
  require(decode(header, body, version, again).ok());
  require(same_packet(packet, again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Version version = (data[0] & 1) ? Version::v5 : Version::v311;
  // A small limit exercises PacketTooLarge; otherwise the largest packet MQTT can express.
  const std::uint32_t max_packet_size = (data[0] & 2) ? 64 : kMaxRemainingLength + 5;
  std::span<const std::uint8_t> stream(data + 1, size - 1);
  for (;;) {
    FixedHeader header;
    if (frame(stream, max_packet_size, header) != FrameStatus::complete) return 0;
    Packet packet;
    const auto body = stream.subspan(header.header_size, header.remaining_length);
    if (!decode(header, body, version, packet).ok()) return 0;
    if (const auto* connect = std::get_if<Connect>(&packet)) version = connect->version;
    check_round_trip(packet, version);
    stream = stream.subspan(header.total_size());
  }
}
