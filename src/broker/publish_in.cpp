// PUBLISH from a client (MQTT 5.0 section 3.3, 4.3; MQTT 3.1.1 section 3.3, 4.3): limits
// the broker announced in CONNACK, incoming topic aliases, the receiver's side of QoS 1/2,
// and the retained store.
#include <algorithm>

#include "broker/access_control.hpp"
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

bool Engine::Impl::resolve_topic_alias(Connection& conn, mqtt::Publish& packet) {
  if (!packet.properties.topic_alias) {
    if (packet.topic.empty()) {
      protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                     "empty topic name without a Topic Alias (MQTT 5.0 section 3.3.2.1)");
      return false;
    }
    return true;
  }
  const std::uint16_t alias = *packet.properties.topic_alias;
  packet.properties.topic_alias.reset();
  // Section 3.3.2.3.4: 0 and values above our Topic Alias Maximum are invalid.
  if (alias == 0 || alias > settings.max_topic_alias) {
    protocol_error(conn, mqtt::ReasonCode::TopicAliasInvalid,
                   "Topic Alias 0 or above the Topic Alias Maximum (MQTT 5.0 section 3.3.2.3.4)");
    return false;
  }
  if (!packet.topic.empty()) {
    if (alias >= conn.aliases_in.size()) conn.aliases_in.resize(alias + 1u);
    conn.aliases_in[alias].assign(packet.topic);
  } else if (alias >= conn.aliases_in.size() || conn.aliases_in[alias].empty()) {
    protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                   "empty topic name with an unknown Topic Alias (MQTT 5.0 section 3.3.4)");
    return false;
  }
  packet.topic = conn.aliases_in[alias];
  return true;
}

void Engine::Impl::on_publish(Connection& conn, mqtt::Publish& packet) {
  const bool v5 = conn.version == mqtt::Version::v5;
  if (packet.qos > settings.max_qos) {
    protocol_error(conn, mqtt::ReasonCode::QosNotSupported,
                   "PUBLISH QoS above the Maximum QoS (MQTT 5.0 section 3.2.2.3.4)");
    return;
  }
  if (packet.retain && !settings.retain_available) {
    protocol_error(conn, mqtt::ReasonCode::RetainNotSupported,
                   "RETAIN while Retain Available is 0 (MQTT 5.0 section 3.2.2.3.5)");
    return;
  }
  if (v5 && !resolve_topic_alias(conn, packet)) return;
  // Mosquitto refuses a topic deeper than its hierarchy limit by ending the connection; in 5.0
  // the reason is 0x90 Topic Name invalid ("not malformed, but not accepted", section 2.4).
  if (too_deep(packet.topic)) {
    protocol_error(conn, mqtt::ReasonCode::TopicNameInvalid,
                   "topic name of more than " + std::to_string(settings.max_topic_levels) +
                       " levels");
    return;
  }
  Session& session = session_of(conn);
  if (packet.qos == 2) {
    auto& pending = session.incoming_qos2;
    // Section 4.3.3: until PUBREL, a PUBLISH with the same id is acknowledged again but not
    // delivered again.
    if (std::find(pending.begin(), pending.end(), packet.packet_id) != pending.end()) {
      send_packet(conn, mqtt::Pubrec{packet.packet_id, mqtt::ReasonCode::Success, {}});
      return;
    }
    if (v5 && pending.size() >= receive_maximum()) {
      protocol_error(conn, mqtt::ReasonCode::ReceiveMaximumExceeded,
                     "more unacknowledged QoS 2 PUBLISH than Receive Maximum "
                     "(MQTT 5.0 section 3.3.4)");
      return;
    }
  }
  packet.properties.subscription_identifiers.clear();
  // Routing rewrites the packet per subscriber (QoS, packet id, ...): keep what we ack.
  const std::uint16_t packet_id = packet.packet_id;
  const std::uint8_t qos = packet.qos;

  const bool too_large =
      settings.message_size_limit != 0 && packet.payload.size() > settings.message_size_limit;
  // MQTT 5.0 section 3.3.4: a server may refuse a PUBLISH it does not authorize; with an
  // acl_file that is any topic the client may not write. It is neither routed nor retained.
  const bool denied = !too_large && session.access && !session.access->may_write(packet.topic);
  std::size_t receivers = 0;
  if (too_large) {
    ++counters.messages_dropped;
  } else if (denied) {
    log_line(LogLevel::debug, "Denied PUBLISH from " + conn.client_id + " (q" +
                                  std::to_string(qos) + ", r" + (packet.retain ? "1" : "0") +
                                  ", '" + std::string(packet.topic) + "'): acl_file");
  } else if (!packet.topic.starts_with("$SYS")) {  // clients may not write $SYS (Mosquitto)
    Publication publication;
    publication.packet = &packet;
    publication.topic = packet.topic;
    publication.qos = packet.qos;
    publication.retain = packet.retain;
    publication.origin = origin_of(conn.session);
    if (packet.properties.message_expiry_interval)
      publication.expires_at_ms =
          now() + std::uint64_t{*packet.properties.message_expiry_interval} * 1000;
    if (packet.retain) store_retained(publication);
    receivers = route(publication);
  }
  if (qos == 0) return;
  // Mosquitto answers an oversized payload with Quota exceeded and a denied one with Not
  // authorized in 5.0; a 3.1.1 ack has no reason code, so the message is silently dropped.
  mqtt::ReasonCode reason = too_large && v5  ? mqtt::ReasonCode::QuotaExceeded
                            : denied && v5   ? mqtt::ReasonCode::NotAuthorized
                            : receivers == 0 ? mqtt::ReasonCode::NoMatchingSubscribers
                                             : mqtt::ReasonCode::Success;
  if (qos == 1) {
    send_packet(conn, mqtt::Puback{packet_id, reason, {}});
    return;
  }
  if (static_cast<std::uint8_t>(reason) < 0x80) {
    session.incoming_qos2.push_back(packet_id);
    persist_session(session);
  }
  send_packet(conn, mqtt::Pubrec{packet_id, reason, {}});
}

void Engine::Impl::on_pubrel(Connection& conn, const mqtt::Pubrel& packet) {
  Session& session = session_of(conn);
  auto& pending = session.incoming_qos2;
  auto it = std::find(pending.begin(), pending.end(), packet.packet_id);
  if (it == pending.end()) {
    // Section 3.7.2.1: PUBCOMP 0x92 for an identifier we do not hold.
    send_packet(conn,
                mqtt::Pubcomp{packet.packet_id, mqtt::ReasonCode::PacketIdentifierNotFound, {}});
    return;
  }
  *it = pending.back();
  pending.pop_back();
  persist_session(session);
  send_packet(conn, mqtt::Pubcomp{packet.packet_id, mqtt::ReasonCode::Success, {}});
}

void Engine::Impl::store_retained(Publication& publication) {
  // Section 3.3.1.3: a retained message with an empty payload clears the topic.
  if (publication.packet->payload.empty()) {
    retained.erase(publication.topic);
    forget_retained(publication.topic);
  } else {
    retained.set(message_of(publication));
    persist_retained(*publication.message);
  }
}

}  // namespace attestmq::broker
