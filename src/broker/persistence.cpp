// What the engine hands to the host's Store (store.hpp), and how it rebuilds itself from it.
// Persisted: sessions that outlive their connection (Session Expiry Interval other than 0,
// or a 3.1.1 Clean Session 0), their subscriptions and incoming QoS 2 identifiers (MQTT 5.0
// section 4.1), their QoS 1/2 messages queued or in flight (sections 4.3, 4.4), and retained
// messages (section 3.3.1.3). QoS 0 messages are never queued, so never stored.
#include <string>

#include "broker/engine_impl.hpp"
#include "broker/stored_records.hpp"
#include "mqtt/utf8.hpp"

namespace attestmq::broker {

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Clocks Engine::Impl::clocks() { return {host.now_ms(), host.wall_clock_s()}; }

bool Engine::Impl::persistent(const Session& session) const {
  return store != nullptr && session.expiry_interval_s != std::uint64_t{0};
}

void Engine::Impl::persist_session(Session& session) {
  if (store == nullptr) return;
  if (!persistent(session)) {
    forget_session(session);
    return;
  }
  store->put(RecordKind::session, bytes_of(session.client_id), encode_session(session, clocks()));
  session.stored = true;
}

void Engine::Impl::forget_session(Session& session) {
  if (!session.stored) return;
  for (InflightMessage& entry : session.inflight) forget_delivery(entry.delivery);
  for (Delivery& delivery : session.queue) forget_delivery(delivery);
  store->erase(RecordKind::session, bytes_of(session.client_id));
  session.stored = false;
}

void Engine::Impl::persist_delivery(const Session& session, Delivery& delivery,
                                    std::uint16_t packet_id, bool awaiting_pubcomp) {
  if (!session.stored || delivery.qos == 0) return;
  if (delivery.stored == 0) delivery.stored = next_delivery_sequence++;
  const DeliveryRecord record{session.client_id, packet_id, awaiting_pubcomp, delivery};
  store->put(RecordKind::delivery, delivery_key(delivery.stored), encode_delivery(record, clocks()));
}

void Engine::Impl::forget_delivery(Delivery& delivery) {
  if (delivery.stored == 0) return;
  store->erase(RecordKind::delivery, delivery_key(delivery.stored));
  delivery.stored = 0;
}

// $SYS topics are the broker's own state of the moment (as in Mosquitto, never saved).
void Engine::Impl::persist_retained(const Message& message) {
  if (store != nullptr && !message.topic.starts_with("$SYS"))
    store->put(RecordKind::retained, bytes_of(message.topic), encode_retained(message, clocks()));
}

void Engine::Impl::forget_retained(std::string_view topic) {
  if (store != nullptr && !topic.starts_with("$SYS")) store->erase(RecordKind::retained, bytes_of(topic));
}

std::optional<std::string> Engine::Impl::restore(RecordKind kind, std::span<const std::uint8_t> key,
                                                 std::span<const std::uint8_t> value) {
  switch (kind) {
    case RecordKind::sealing:
      return std::string("it is sealed: only a broker with the TEE that sealed it can open it "
                         "(attestmq-enclave, or --tee)");
    case RecordKind::session:
      return restore_session(key, value);
    case RecordKind::delivery:
      return restore_delivery(key, value);
    case RecordKind::retained:
      return restore_retained(key, value);
  }
  return "a record of unknown kind " + std::to_string(static_cast<int>(kind));
}

std::optional<std::string> Engine::Impl::restore_session(std::span<const std::uint8_t> key,
                                                         std::span<const std::uint8_t> value) {
  const std::string client_id(key.begin(), key.end());
  if (!mqtt::valid_utf8(client_id)) return std::string("a session record whose client identifier is not UTF-8");
  if (session_by_client.contains(client_id))
    return "two session records for client '" + client_id + "'";
  auto decoded = decode_session(value, clocks());
  if (auto* error = std::get_if<std::string>(&decoded)) return *error + " (client '" + client_id + "')";
  SessionRecord& record = std::get<SessionRecord>(decoded);
  if (record.expiry_interval_s == std::uint64_t{0})
    return "a session record for client '" + client_id + "' that ends at disconnect";
  const SubscriberId id = create_session(client_id);
  Session& session = *sessions[id];
  session.stored = true;
  session.expiry_interval_s = record.expiry_interval_s;
  // Offline from now on: its expiry counts from the restart (as Mosquitto's does).
  if (record.expiry_interval_s) session.expires_at_ms = now() + *record.expiry_interval_s * 1000;
  session.incoming_qos2 = std::move(record.incoming_qos2);
  // The acl_file applies to what the session does before its client is back (its will).
  const bool listener_known = record.listener < settings.listeners.size();
  if (listener_known) {
    session.listener = record.listener;
    session.username = std::move(record.username);
    resolve_access(session);
  } else if (record.will) {
    log_line(LogLevel::warning, "The will of client '" + client_id + "' was dropped: its listener (" +
                                    std::to_string(record.listener) + ") is no longer configured.");
    record.will.reset();
  }
  for (SessionSubscription& sub : record.subscriptions) {
    index.subscribe(sub.filter, id, sub.options);
    session.subscriptions.push_back(std::move(sub));
  }
  if (record.will) {
    record.will->origin = origin_of(id);
    session.will = std::move(record.will);
    session.will_delay_s = record.will_delay_s;
    session.will_expiry_interval_s = record.will_expiry_interval_s;
    // A will without a due time was its client's while connected: the crash ended that
    // connection without DISCONNECT, so the will counts from the restart (section 3.1.3.2).
    session.will_at_ms = record.will_at_ms ? *record.will_at_ms : now() + std::uint64_t{record.will_delay_s} * 1000;
  }
  return std::nullopt;
}

std::optional<std::string> Engine::Impl::restore_delivery(std::span<const std::uint8_t> key,
                                                          std::span<const std::uint8_t> value) {
  const auto sequence = delivery_sequence(key);
  if (!sequence || *sequence == 0) return std::string("a delivery record with a malformed key");
  const std::string which = "delivery record " + std::to_string(*sequence);
  auto decoded = decode_delivery(value, clocks());
  if (auto* error = std::get_if<std::string>(&decoded)) return *error + " (" + which + ")";
  DeliveryRecord& record = std::get<DeliveryRecord>(decoded);
  const auto it = session_by_client.find(record.client_id);
  if (it == session_by_client.end())
    return which + " is for client '" + record.client_id + "', which has no session record";
  Session& session = *sessions[it->second];
  record.delivery.stored = *sequence;
  next_delivery_sequence = std::max(next_delivery_sequence, *sequence + 1);
  if (record.packet_id == 0) {
    session.queued_bytes += record.delivery.message->payload.size();
    session.queue.push_back(std::move(record.delivery));
    return std::nullopt;
  }
  if (session.inflight.contains(record.packet_id))
    return which + " reuses packet identifier " + std::to_string(record.packet_id) +
           " of client '" + record.client_id + "'";
  if (!session.queue.empty())
    return which + " is in flight but follows a queued message of client '" + record.client_id + "'";
  InflightMessage entry;
  entry.packet_id = record.packet_id;
  entry.awaiting_pubcomp = record.awaiting_pubcomp;
  entry.payload_bytes = record.delivery.message ? record.delivery.message->payload.size() : 0;
  entry.delivery = std::move(record.delivery);
  session.inflight_bytes += entry.payload_bytes;
  session.inflight.push_back(std::move(entry));
  session.next_packet_id = record.packet_id == 0xFFFF ? 1 : record.packet_id + 1;
  return std::nullopt;
}

std::optional<std::string> Engine::Impl::restore_retained(std::span<const std::uint8_t> key,
                                                          std::span<const std::uint8_t> value) {
  const std::string topic(key.begin(), key.end());
  auto decoded = decode_retained(value, clocks());
  if (auto* error = std::get_if<std::string>(&decoded)) return *error + " (topic '" + topic + "')";
  MessagePtr& message = std::get<MessagePtr>(decoded);
  // The key is the record's identity: a message filed under another topic was moved.
  if (message->topic != topic) return "a retained record filed under another topic ('" + topic + "')";
  if (message->expires_at_ms && *message->expires_at_ms <= now()) {
    forget_retained(topic);  // expired while the broker was stopped
    return std::nullopt;
  }
  retained.set(std::move(message));
  return std::nullopt;
}

}  // namespace attestmq::broker
