#pragma once
// The per-packet body decoders behind decode(). Each reads what its packet's variable header
// and payload hold and checks that packet's own rules; decode() has already checked the fixed
// header flags and checks afterwards that no bytes are left over.
#include "mqtt/codec.hpp"
#include "mqtt/wire_reader.hpp"

namespace attestmq::mqtt {

DecodeStatus decode_connect(WireReader& reader, Connect& out);
DecodeStatus decode_connack(WireReader& reader, Version version, Connack& out);
DecodeStatus decode_publish(WireReader& reader, std::uint8_t flags, Version version,
                            Publish& out);
// PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4-3.7).
DecodeStatus decode_publish_ack(WireReader& reader, PacketType type, Version version,
                                std::uint16_t& packet_id, ReasonCode& reason,
                                Properties& properties);
DecodeStatus decode_subscribe(WireReader& reader, Version version, Subscribe& out);
DecodeStatus decode_suback(WireReader& reader, Version version, Suback& out);
DecodeStatus decode_unsubscribe(WireReader& reader, Version version, Unsubscribe& out);
DecodeStatus decode_unsuback(WireReader& reader, Version version, Unsuback& out);
DecodeStatus decode_disconnect(WireReader& reader, Version version, Disconnect& out);
DecodeStatus decode_auth(WireReader& reader, Auth& out);

// Section 2.2.1 [MQTT-2.2.1-3]: a Packet Identifier, which must be non-zero.
DecodeStatus read_packet_id(WireReader& reader, std::uint16_t& packet_id);

// Section 3.3.2.3.2: Payload Format Indicator 1 with a payload that is not UTF-8 is answered
// with Payload format invalid (PUBLISH and the Will of a CONNECT).
DecodeStatus check_payload_format(const Properties& properties, Bytes payload);

}  // namespace attestmq::mqtt
