// CONNECT handling (MQTT 5.0 sections 3.1 and 3.2, MQTT 3.1.1 sections 3.1 and 3.2): checks
// in the order of section 3.1.4, take-over of a connected client id, session resumption,
// and the CONNACK that tells the client the broker's limits.
#include <algorithm>
#include <optional>
#include <string>

#include "broker/authentication.hpp"
#include "broker/engine_impl.hpp"

namespace attestmq::broker {

namespace {

// Mosquitto's protocol numbers in its connection log line: 2 = 3.1.1, 5 = 5.0.
int log_protocol_number(mqtt::Version version) { return version == mqtt::Version::v5 ? 5 : 2; }

}  // namespace

void Engine::Impl::refuse(Connection& conn, mqtt::Version version, mqtt::ReasonCode code,
                          std::string_view why) {
  log_line(LogLevel::notice, "Client " + conn.info.peer + " refused: " + std::string(why) + " (" +
                                 std::string(mqtt::to_string(code)) + ").");
  conn.version = version;
  send_packet(conn, mqtt::Connack{false, code, {}});
  end_connection(conn);
}

std::optional<std::string> Engine::Impl::assign_client_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    std::uint8_t bytes[8];
    if (!host.random(bytes)) return std::nullopt;
    std::string id = "auto-";
    for (std::uint8_t b : bytes) {
      id.push_back(kHex[b >> 4]);
      id.push_back(kHex[b & 0x0F]);
    }
    if (!session_by_client.contains(id)) return id;
  }
}

void Engine::Impl::take_over(Session& session) {
  // MQTT 5.0 section 3.1.4 point 2 / 3.1.1 section 3.1.4: the existing connection is closed;
  // it ended without DISCONNECT, so its will follows the usual rules (section 3.1.3.2).
  Connection& old = *session.connection;
  log_line(LogLevel::notice,
           "Client " + session.client_id + " already connected, closing old connection.");
  disconnect(old, mqtt::ReasonCode::SessionTakenOver);
}

void Engine::Impl::on_connect(Connection& conn, const mqtt::Connect& packet) {
  if (conn.state == ConnectionState::connected) {
    protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                   "a second CONNECT on one connection (MQTT 5.0 section 3.1)");
    return;
  }
  const mqtt::Version version = packet.version;
  const bool v5 = version == mqtt::Version::v5;
  if (v5 && packet.properties.authentication_method) {
    refuse(conn, version, mqtt::ReasonCode::BadAuthenticationMethod,
           "enhanced authentication is not offered (MQTT 5.0 section 4.12)");
    return;
  }
  if (packet.will && packet.will->qos > settings.max_qos) {
    refuse(conn, version, mqtt::ReasonCode::QosNotSupported,
           "will QoS above the maximum QoS (MQTT 5.0 section 3.2.2.3.4)");
    return;
  }
  if (packet.will && packet.will->retain && !settings.retain_available) {
    refuse(conn, version, mqtt::ReasonCode::RetainNotSupported,
           "will retain while retain is not available (MQTT 5.0 section 3.2.2.3.5)");
    return;
  }
  std::string client_id(packet.client_id);
  bool assigned = false;
  if (client_id.empty()) {
    // MQTT 3.1.1 section 3.1.3.1: an empty identifier requires clean session.
    if (!v5 && !packet.clean_start) {
      refuse(conn, version, mqtt::ReasonCode::ClientIdentifierNotValid,
             "empty client identifier without clean session (MQTT 3.1.1 section 3.1.3.1)");
      return;
    }
    auto fresh = assign_client_id();
    if (!fresh) {
      // No identifier can be made up without randomness: a predictable one could be taken
      // over by anyone who guesses it.
      refuse(conn, version, mqtt::ReasonCode::ServerUnavailable,
             "no random bytes to assign a client identifier (MQTT 5.0 section 3.1.3.1)");
      return;
    }
    client_id = std::move(*fresh);
    assigned = true;
  }
  std::uint16_t keep_alive = packet.keep_alive;
  bool server_keep_alive = false;
  if (keep_alive > settings.max_keepalive) {
    // MQTT 5.0 section 3.2.2.3.14 lets the server impose its own keepalive; a 3.1.1 client
    // cannot be told, so it is refused as Mosquitto does.
    if (!v5) {
      refuse(conn, version, mqtt::ReasonCode::ClientIdentifierNotValid,
             "keepalive above max_keepalive");
      return;
    }
    keep_alive = settings.max_keepalive;
    server_keep_alive = true;
  }
  const Authentication auth = authenticate(settings.listeners[conn.info.listener], conn.info, packet);
  if (auth.verdict != mqtt::ReasonCode::Success) {
    const std::string username = packet.username ? "'" + std::string(*packet.username) + "'" : "none";
    refuse(conn, version, auth.verdict,
           "client id '" + client_id + "', username " + username + ": " + std::string(auth.refusal));
    return;
  }

  if (auto it = session_by_client.find(client_id); it != session_by_client.end()) {
    Session& existing = *sessions[it->second];
    if (existing.connection) take_over(existing);
  }
  bool present = false;
  conn.version = version;
  conn.client_id = client_id;
  SubscriberId id = attach_session(conn, packet, present);
  Session& session = *sessions[id];
  session.listener = conn.info.listener;
  session.username = auth.username;
  resolve_access(session);

  conn.state = ConnectionState::connected;
  conn.session = id;
  conn.keep_alive_s = keep_alive;
  arm_timer(conn);  // from now on keep alive, not connect_timeout (timers.cpp)
  const std::uint16_t client_receive_max = packet.properties.receive_maximum.value_or(65535);
  conn.send_window = std::min(receive_maximum(), client_receive_max);
  conn.max_packet_size = packet.properties.maximum_packet_size.value_or(0);
  conn.client_topic_alias_max = v5 ? packet.properties.topic_alias_maximum.value_or(0) : 0;
  session.connection = &conn;
  set_will(session, packet, id);
  ++counters.clients_connected;

  mqtt::Connack connack{present, mqtt::ReasonCode::Success, {}};
  if (v5) {
    mqtt::Properties& p = connack.properties;
    if (receive_maximum() != 65535) p.receive_maximum = receive_maximum();
    if (settings.max_qos < 2) p.maximum_qos = settings.max_qos;
    if (!settings.retain_available) p.retain_available = 0;
    if (settings.max_packet_size != 0) p.maximum_packet_size = settings.max_packet_size;
    if (settings.max_topic_alias != 0) p.topic_alias_maximum = settings.max_topic_alias;
    if (assigned) p.assigned_client_identifier = conn.client_id;
    if (server_keep_alive) p.server_keep_alive = keep_alive;
    p.wildcard_subscription_available = 1;
    p.subscription_identifier_available = 1;
    p.shared_subscription_available = 1;
  }
  send_packet(conn, connack);

  if (settings.connection_messages) {
    std::string line = "New client connected from " + conn.info.peer + " as " + conn.client_id +
                       " (p" + std::to_string(log_protocol_number(version)) + ", c" +
                       (packet.clean_start ? "1" : "0") + ", k" + std::to_string(keep_alive);
    if (auth.username) line += ", u'" + *auth.username + "'";
    log_line(LogLevel::notice, line + ").");
  }
  if (present) resume(session);
}

SubscriberId Engine::Impl::attach_session(Connection& conn, const mqtt::Connect& packet,
                                          bool& present) {
  const bool v5 = packet.version == mqtt::Version::v5;
  SubscriberId id;
  auto it = session_by_client.find(conn.client_id);
  // MQTT 5.0 section 3.1.2.4 / 3.1.1 section 3.1.2.4: Clean Start discards the old session.
  if (it != session_by_client.end() && !packet.clean_start) {
    id = it->second;
    present = true;
  } else {
    if (it != session_by_client.end()) end_session(it->second);
    id = create_session(conn.client_id);
  }
  Session& session = *sessions[id];
  session.expires_at_ms.reset();
  if (v5) {
    std::uint32_t interval = packet.properties.session_expiry_interval.value_or(0);
    if (interval == kSessionNeverExpires)
      session.expiry_interval_s.reset();
    else
      session.expiry_interval_s = interval;
  } else if (packet.clean_start) {
    session.expiry_interval_s = 0;
  } else {
    session.expiry_interval_s = settings.persistent_client_expiration_s;
  }
  return id;
}

}  // namespace attestmq::broker
