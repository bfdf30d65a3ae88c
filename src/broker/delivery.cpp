// Sending publications to a session (MQTT 5.0 sections 4.3, 4.4, 4.9): QoS 0 straight out,
// QoS 1/2 through the in-flight window (min of max_inflight_messages and the client's
// Receive Maximum) with the rest queued, redelivery with DUP on session resumption, message
// expiry, outgoing topic aliases, the client's Maximum Packet Size, and slow consumers.
#include <algorithm>
#include <string>

#include "broker/access_control.hpp"
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

namespace {

constexpr std::uint64_t kDropReportIntervalMs = 10'000;

bool expired(const Message& message, std::uint64_t now_ms) {
  return message.expires_at_ms && *message.expires_at_ms <= now_ms;
}

// max_queued_bytes counts payload bytes, as Mosquitto does.
std::uint64_t queued_size(const Delivery& delivery) { return delivery.message->payload.size(); }

}  // namespace

bool Engine::Impl::online(const Session& session) const { return session.connection != nullptr; }

bool Engine::Impl::may_read(const Session& session, std::string_view topic) const {
  return !session.access || session.access->may_read(topic);
}

// MQTT 5.0 section 3.3.4 [MQTT-3.3.4-9]: no more QoS 1/2 PUBLISH awaiting acknowledgement than
// the connection's send window (the client's Receive Maximum, capped by max_inflight_messages).
// Entries held back at resumption have not been sent on this connection and do not count.
// max_inflight_bytes, as Mosquitto applies it: another message goes out while the payload
// bytes in flight are below the limit, so a message larger than the limit goes out alone.
bool Engine::Impl::window_has_room(const Session& session) const {
  if (session.inflight.size() - session.awaiting_resend >= session.connection->send_window)
    return false;
  return settings.max_inflight_bytes == 0 || session.inflight_bytes < settings.max_inflight_bytes;
}

InflightMessage& Engine::Impl::push_inflight(Session& session, std::uint16_t packet_id,
                                             Delivery delivery) {
  const std::uint64_t bytes = delivery.message->payload.size();
  session.inflight_bytes += bytes;
  InflightMessage entry;
  entry.packet_id = packet_id;
  entry.delivery = std::move(delivery);
  entry.payload_bytes = bytes;
  session.inflight.push_back(std::move(entry));
  InflightMessage& pushed = session.inflight.back();
  persist_delivery(session, pushed.delivery, packet_id, false);
  return pushed;
}

InflightWindow::iterator Engine::Impl::erase_inflight(Session& session, InflightWindow::iterator it) {
  if (it->awaiting_resend)
    --session.awaiting_resend;
  else
    session.inflight_bytes -= it->payload_bytes;
  forget_delivery(it->delivery);
  return session.inflight.erase(it);
}

void Engine::Impl::load_packet(const Message& message, mqtt::Publish& packet) {
  packet.topic = message.topic;
  packet.payload = message.payload;
  mqtt::Properties& p = packet.properties;
  p.payload_format_indicator = message.payload_format_indicator;
  p.content_type.reset();
  if (message.content_type) p.content_type = *message.content_type;
  p.response_topic.reset();
  if (message.response_topic) p.response_topic = *message.response_topic;
  p.correlation_data.reset();
  if (message.correlation_data) p.correlation_data = mqtt::Bytes(*message.correlation_data);
  p.user_properties.clear();
  for (const MessageUserProperty& up : message.user_properties)
    p.user_properties.push_back({up.name, up.value});
}

std::uint16_t Engine::Impl::allocate_packet_id(Session& session) {
  for (;;) {
    std::uint16_t id = session.next_packet_id++;
    if (session.next_packet_id == 0) session.next_packet_id = 1;  // 0 is not an id (2.2.1)
    if (!session.inflight.contains(id)) return id;
  }
}

bool Engine::Impl::send_publish(Connection& conn, mqtt::Publish& packet, std::string_view topic,
                                std::optional<std::uint64_t> expires_at_ms) {
  // Section 3.3.2.3.3: forward what remains of the Message Expiry Interval.
  packet.properties.message_expiry_interval.reset();
  if (expires_at_ms) {
    const std::uint64_t now_ms = now();
    const std::uint64_t left_ms = *expires_at_ms > now_ms ? *expires_at_ms - now_ms : 0;
    packet.properties.message_expiry_interval =
        static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (left_ms + 999) / 1000));
  }
  // Section 3.3.2.3.4: use an alias while the client's Topic Alias Maximum has room, then
  // send the topic by alias alone.
  packet.topic = topic;
  packet.properties.topic_alias.reset();
  bool new_alias = false;
  if (conn.client_topic_alias_max != 0) {
    if (auto it = conn.aliases_out.find(topic); it != conn.aliases_out.end()) {
      packet.topic = {};
      packet.properties.topic_alias = it->second;
    } else if (conn.aliases_out.size() < conn.client_topic_alias_max) {
      const auto alias = static_cast<std::uint16_t>(conn.aliases_out.size() + 1);
      conn.aliases_out.emplace(std::string(topic), alias);
      packet.properties.topic_alias = alias;
      new_alias = true;
    }
  }
  out.clear();
  mqtt::encode(packet, conn.version, out);
  // Section 3.1.2.11.4: a packet above the client's Maximum Packet Size is discarded, as if
  // it had been sent.
  if (conn.max_packet_size != 0 && out.size() > conn.max_packet_size) {
    if (new_alias) conn.aliases_out.erase(conn.aliases_out.find(topic));
    ++counters.messages_dropped;
    return false;
  }
  transmit(conn);
  return true;
}

// Counted, and logged at most once per kDropReportIntervalMs per client with the count since
// the previous line: a line per message would let one slow client flood the log. Other
// clients are untouched: the limits are per session.
void Engine::Impl::drop_for(Session& session, std::string_view limit) {
  ++counters.messages_dropped;
  ++session.drops_unreported;
  const std::uint64_t now_ms = now();
  if (session.drops_reported_ms && now_ms - *session.drops_reported_ms < kDropReportIntervalMs)
    return;
  log_line(LogLevel::notice, "Outgoing messages are being dropped for client " +
                                 session.client_id + " (" + std::string(limit) + "); " +
                                 std::to_string(session.drops_unreported) +
                                 " dropped since the last report.");
  session.drops_reported_ms = now_ms;
  session.drops_unreported = 0;
}

void Engine::Impl::enqueue(Session& session, Delivery delivery) {
  const std::uint64_t size = queued_size(delivery);
  const bool over_count =
      settings.max_queued_messages != 0 && session.queue.size() >= settings.max_queued_messages;
  const bool over_bytes =
      settings.max_queued_bytes != 0 && session.queued_bytes + size > settings.max_queued_bytes;
  if (over_count || over_bytes) {
    drop_for(session, over_count ? "max_queued_messages" : "max_queued_bytes");
    return;
  }
  session.queued_bytes += size;
  session.queue.push_back(std::move(delivery));
  persist_delivery(session, session.queue.back(), 0, false);
}

void Engine::Impl::deliver(Session& session, Publication& publication, const Recipient& recipient) {
  // Section 3.3.1.3: forwarded with RETAIN 0 unless the subscription asked for Retain As
  // Published (retained messages sent on subscribe come here with it set).
  const bool retain = recipient.retain_as_published && publication.retain;
  if (recipient.qos == 0) {
    // QoS 0 is neither queued for offline clients (as in Mosquitto) nor for slow ones.
    if (!online(session)) return;
    Connection& conn = *session.connection;
    if (conn.paused) {
      drop_for(session, "max_client_output_bytes");
      return;
    }
    mqtt::Publish& packet = *publication.packet;
    packet.qos = 0;
    packet.dup = false;
    packet.retain = retain;
    packet.packet_id = 0;
    packet.properties.subscription_identifiers = recipient.subscription_ids;
    send_publish(conn, packet, publication.topic, publication.expires_at_ms);
    return;
  }
  Delivery delivery{message_of(publication), recipient.qos, retain, recipient.subscription_ids};
  if (!online(session) || session.connection->paused || !session.queue.empty() ||
      session.awaiting_resend != 0 || !window_has_room(session)) {
    enqueue(session, std::move(delivery));
    return;
  }
  const std::uint16_t packet_id = allocate_packet_id(session);
  mqtt::Publish& packet = *publication.packet;
  packet.qos = recipient.qos;
  packet.dup = false;
  packet.retain = retain;
  packet.packet_id = packet_id;
  packet.properties.subscription_identifiers = recipient.subscription_ids;
  // In the window (and in the store) before it is sent: a QoS 2 PUBLISH must not leave ahead
  // of its record (docs/persistence.md, "Held output").
  push_inflight(session, packet_id, std::move(delivery));
  if (!send_publish(*session.connection, packet, publication.topic, publication.expires_at_ms))
    erase_inflight(session, session.inflight.end() - 1);
}

bool Engine::Impl::send_inflight(Session& session, InflightMessage& entry, bool dup) {
  Connection& conn = *session.connection;
  if (entry.awaiting_pubcomp) {
    send_packet(conn, mqtt::Pubrel{entry.packet_id, mqtt::ReasonCode::Success, {}});
    return true;
  }
  const Message& message = *entry.delivery.message;
  // Read access is asked again whenever a stored message goes out: the session may have been
  // resumed by another user since it was queued, or the acl_file reloaded. Mosquitto checks
  // queued messages on reconnect the same way.
  if (!may_read(session, message.topic)) {
    ++counters.messages_dropped;
    log_line(LogLevel::debug, "Denied delivery of a stored message to " + session.client_id +
                                  " on '" + message.topic + "': acl_file");
    return false;
  }
  load_packet(message, stored_packet);
  stored_packet.qos = entry.delivery.qos;
  stored_packet.dup = dup;
  stored_packet.retain = entry.delivery.retain;
  stored_packet.packet_id = entry.packet_id;
  stored_packet.properties.subscription_identifiers = entry.delivery.subscription_ids;
  return send_publish(conn, stored_packet, message.topic, message.expires_at_ms);
}

void Engine::Impl::pump(Session& session) {
  if (!online(session)) return;
  Connection& conn = *session.connection;
  resend_held_back(session);
  const std::uint64_t now_ms = session.queue.empty() ? 0 : now();
  while (!conn.paused && !session.queue.empty() && session.awaiting_resend == 0 &&
         window_has_room(session)) {
    Delivery delivery = std::move(session.queue.front());
    session.queue.pop_front();
    session.queued_bytes -= queued_size(delivery);
    // Section 3.3.2.3.3: a message whose expiry passed before delivery started is dropped.
    if (expired(*delivery.message, now_ms)) {
      forget_delivery(delivery);
      continue;
    }
    InflightMessage& entry = push_inflight(session, allocate_packet_id(session), std::move(delivery));
    if (!send_inflight(session, entry, false)) erase_inflight(session, session.inflight.end() - 1);
  }
}

// Entries held back at resumption go out before anything queued, in the order they were first
// sent (section 4.6), with DUP set and their original packet identifiers (section 4.4).
void Engine::Impl::resend_held_back(Session& session) {
  const Connection& conn = *session.connection;
  for (auto it = session.inflight.begin();
       it != session.inflight.end() && session.awaiting_resend != 0 && !conn.paused;) {
    if (!it->awaiting_resend) {
      ++it;
      continue;
    }
    if (!window_has_room(session)) return;
    it->awaiting_resend = false;
    --session.awaiting_resend;
    session.inflight_bytes += it->payload_bytes;
    if (send_inflight(session, *it, true))
      ++it;
    else
      it = erase_inflight(session, it);
  }
}

void Engine::Impl::resume(Session& session) {
  // Section 4.4: on resumption, unacknowledged PUBLISH go out again with DUP=1 and their
  // original packet identifiers, and PUBREL for those already PUBREC'd; the new connection's
  // Receive Maximum bounds how many at once (section 3.3.4), the rest follow acknowledgements.
  for (InflightMessage& entry : session.inflight) {
    if (entry.awaiting_resend) continue;
    entry.awaiting_resend = true;
    ++session.awaiting_resend;
    session.inflight_bytes -= entry.payload_bytes;
  }
  pump(session);
}

void Engine::Impl::on_puback(Connection& conn, const mqtt::Puback& packet) {
  Session& session = session_of(conn);
  auto it = session.inflight.find(packet.packet_id);
  // Section 4.3.2: an acknowledgement for an unknown id is ignored.
  if (it == session.inflight.end() || it->delivery.qos != 1) return;
  erase_inflight(session, it);
  pump(session);
}

void Engine::Impl::on_pubrec(Connection& conn, const mqtt::Pubrec& packet) {
  Session& session = session_of(conn);
  auto it = session.inflight.find(packet.packet_id);
  if (it == session.inflight.end() || it->delivery.qos != 2) {
    // Section 3.6.2.1: PUBREL 0x92 for an identifier we do not hold.
    send_packet(conn,
                mqtt::Pubrel{packet.packet_id, mqtt::ReasonCode::PacketIdentifierNotFound, {}});
    return;
  }
  // Section 4.3.3: a PUBREC with a reason code >= 0x80 ends the exchange.
  if (static_cast<std::uint8_t>(packet.reason) >= 0x80) {
    erase_inflight(session, it);
    pump(session);
    return;
  }
  if (it->awaiting_resend) {  // the client had it from an earlier connection
    it->awaiting_resend = false;
    --session.awaiting_resend;
    session.inflight_bytes += it->payload_bytes;
  }
  it->awaiting_pubcomp = true;
  it->delivery.message.reset();  // only the packet id is needed from now on
  persist_delivery(session, it->delivery, it->packet_id, true);
  send_packet(conn, mqtt::Pubrel{packet.packet_id, mqtt::ReasonCode::Success, {}});
}

void Engine::Impl::on_pubcomp(Connection& conn, const mqtt::Pubcomp& packet) {
  Session& session = session_of(conn);
  auto it = session.inflight.find(packet.packet_id);
  if (it == session.inflight.end() || !it->awaiting_pubcomp) return;
  erase_inflight(session, it);
  pump(session);
}

}  // namespace attestmq::broker
