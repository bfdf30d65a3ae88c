// CONNECT handling (MQTT 5.0 sections 3.1 and 3.2, MQTT 3.1.1 sections 3.1 and 3.2): checks
// in the order of section 3.1.4, take-over of a connected client id, session resumption,
// and the CONNACK that tells the client the broker's limits.
#include <algorithm>
#include <optional>
#include <string>

#include "broker/authentication.hpp"
#include "broker/engine_impl.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::broker {

namespace {

// Mosquitto's protocol numbers in its connection log line: 2 = 3.1.1, 5 = 5.0.
int log_protocol_number(mqtt::Version version) { return version == mqtt::Version::v5 ? 5 : 2; }

}  // namespace

void Engine::Impl::refuse(Connection& conn, mqtt::Version version, mqtt::ReasonCode code,
                          std::string_view why, bool reason_string) {
  log_line(LogLevel::notice, "Client " + conn.info.peer + " refused: " + std::string(why) + " (" +
                                 std::string(mqtt::to_string(code)) + ").");
  conn.version = version;
  mqtt::Connack connack{false, code, {}};
  if (reason_string && version == mqtt::Version::v5) connack.properties.reason_string = why;
  send_packet(conn, connack);
  end_connection(conn);
}

void Engine::Impl::refuse_without_code_in_311(Connection& conn, mqtt::Version version,
                                              mqtt::ReasonCode code, std::string_view why) {
  if (version == mqtt::Version::v5) {
    refuse(conn, version, code, why);
    return;
  }
  // MQTT 3.1.1 section 3.2.2.3: no return code says this; Mosquitto closes without CONNACK.
  log_line(LogLevel::notice, "Client " + conn.info.peer + " refused: " + std::string(why) + ".");
  end_connection(conn);
}

bool Engine::Impl::too_deep(std::string_view topic_or_filter) const {
  return mqtt::topic_levels(topic_or_filter) > settings.max_topic_levels;
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

void Engine::Impl::take_over(Session& session, bool session_continues) {
  // MQTT 5.0 section 3.1.4 point 2 / 3.1.1 section 3.1.4: the existing connection is closed.
  // Section 3.1.2.5 withholds the will when "a new Network Connection for the ClientID is
  // opened before the Will Delay Interval has elapsed": the new connection exists before the
  // old one closes, so a session that continues keeps the will unsent, whatever its delay
  // (Mosquitto does the same). A take-over with Clean Start ends the session, and the will
  // is published as for any connection that ends without DISCONNECT.
  Connection& old = *session.connection;
  if (session_continues) old.publish_will = false;
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
  conn.version = version;  // AUTH packets before CONNACK are this version's
  if (v5 && packet.properties.authentication_method &&
      !offers_method(conn, *packet.properties.authentication_method)) {
    refuse(conn, version, mqtt::ReasonCode::BadAuthenticationMethod,
           "authentication method '" + std::string(*packet.properties.authentication_method) +
               "' is not offered on this listener (MQTT 5.0 section 4.12)");
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
  // A will obeys the limits its PUBLISH would (Mosquitto: CONNACK 0x95 in 5.0, 5 in 3.1.1).
  if (packet.will && settings.message_size_limit != 0 &&
      packet.will->payload.size() > settings.message_size_limit) {
    refuse(conn, version, mqtt::ReasonCode::PacketTooLarge, "will payload above message_size_limit");
    return;
  }
  if (packet.will && too_deep(packet.will->topic)) {
    refuse_without_code_in_311(conn, version, mqtt::ReasonCode::TopicNameInvalid,
                               "will topic deeper than the topic level limit");
    return;
  }
  // MQTT V3.1 section 3.1 "Client Identifier": 1 to 23 characters, else return code 2.
  if (packet.mqtt31 && (packet.client_id.empty() || packet.client_id.size() > 23)) {
    refuse(conn, version, mqtt::ReasonCode::ClientIdentifierNotValid,
           "MQTT 3.1 client identifiers have 1 to 23 characters");
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
  // Keep alive 0 (never) exceeds any max_keepalive the operator set below the maximum.
  const bool keep_alive_too_long =
      keep_alive > settings.max_keepalive || (keep_alive == 0 && settings.max_keepalive < 65535);
  if (keep_alive_too_long) {
    // MQTT 5.0 section 3.2.2.3.14 lets the server impose its own keepalive; a 3.1.1 or 3.1
    // client cannot be told, so it is refused with return code 2 as Mosquitto does.
    if (!v5) {
      refuse(conn, version, mqtt::ReasonCode::ClientIdentifierNotValid,
             "keepalive " + std::to_string(keep_alive) + " above max_keepalive " +
                 std::to_string(settings.max_keepalive) + " (an MQTT 3.1.1 client cannot be "
                 "given a Server Keep Alive)");
      return;
    }
    keep_alive = settings.max_keepalive;
    server_keep_alive = true;
  }
  Authentication auth = authenticate(settings.listeners[conn.info.listener], conn.info, packet);
  if (auth.needs_password_check) {
    if (!conn.password_verdict ||
        conn.password_checked_with != settings.listeners[conn.info.listener].passwords) {
      start_password_check(conn, packet);
      return;
    }
    auth = password_outcome(*conn.password_verdict, std::move(auth.username));
  }
  if (auth.verdict != mqtt::ReasonCode::Success) {
    const std::string username = packet.username ? "'" + std::string(*packet.username) + "'" : "none";
    refuse(conn, version, auth.verdict,
           "client id '" + client_id + "', username " + username + ": " + std::string(auth.refusal));
    return;
  }
  const bool names_method = v5 && packet.properties.authentication_method.has_value();
  if (!names_method && settings.listeners[conn.info.listener].authentication_required) {
    std::string methods;
    for (const auto& method : settings.listeners[conn.info.listener].authentication_methods)
      methods += (methods.empty() ? "" : ", ") + method;
    refuse(conn, version, mqtt::ReasonCode::NotAuthorized,
           "client id '" + client_id + "': this listener requires enhanced authentication (" +
               methods + ")",
           true);
    return;
  }
  // Enhanced authentication follows the password (docs/attestation.md section 7.4 step 3).
  if (names_method && !conn.enhanced_auth_done) {
    start_authentication(conn, packet);
    return;
  }

  const ListenerPolicy& policy = settings.listeners[conn.info.listener];
  if (policy.use_username_as_clientid) {
    // Mosquitto: a client without a username is refused as not authorised.
    if (!auth.username) {
      refuse(conn, version, mqtt::ReasonCode::NotAuthorized,
             "use_username_as_clientid and no username");
      return;
    }
    client_id = *auth.username;
    assigned = false;
  }

  if (auto it = session_by_client.find(client_id); it != session_by_client.end()) {
    Session& existing = *sessions[it->second];
    // The old session continues only if this CONNECT resumes it and it outlives a disconnect.
    const bool continues = !packet.clean_start && existing.expiry_interval_s != std::uint64_t{0};
    if (existing.connection) take_over(existing, continues);
  }
  bool present = false;
  conn.version = version;
  conn.client_id = client_id;
  SubscriberId id = attach_session(conn, packet, present);
  Session& session = *sessions[id];
  session.listener = conn.info.listener;
  session.username = auth.username;
  session.attested = conn.attested;
  resolve_access(session);

  conn.state = ConnectionState::connected;
  conn.password_verdict.reset();
  conn.pending_connect.clear();
  conn.session = id;
  conn.keep_alive_s = keep_alive;
  arm_timer(conn);  // from now on keep alive, not connect_timeout (timers.cpp)
  const std::uint16_t client_receive_max = packet.properties.receive_maximum.value_or(65535);
  conn.send_window = std::min(receive_maximum(), client_receive_max);
  conn.max_packet_size = packet.properties.maximum_packet_size.value_or(0);
  conn.client_topic_alias_max = v5 ? packet.properties.topic_alias_maximum.value_or(0) : 0;
  session.connection = &conn;
  set_will(session, packet, id);
  persist_session(session);
  ++counters.clients_connected;

  // MQTT V3.1's CONNACK has no Session Present flag: that byte is reserved there.
  mqtt::Connack connack{present && !packet.mqtt31, mqtt::ReasonCode::Success, {}};
  if (v5) {
    mqtt::Properties& p = connack.properties;
    if (receive_maximum() != 65535) p.receive_maximum = receive_maximum();
    if (settings.max_qos < 2) p.maximum_qos = settings.max_qos;
    if (!settings.retain_available) p.retain_available = 0;
    if (settings.max_packet_size != 0) p.maximum_packet_size = settings.max_packet_size;
    if (settings.max_topic_alias != 0) p.topic_alias_maximum = settings.max_topic_alias;
    if (assigned) p.assigned_client_identifier = conn.client_id;
    if (server_keep_alive) p.server_keep_alive = keep_alive;
    // Section 3.2.2.3.17: CONNACK names the method the exchange used.
    if (conn.enhanced_auth_done) p.authentication_method = conn.auth_method;
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

void Engine::Impl::start_password_check(Connection& conn, const mqtt::Connect& packet) {
  // The CONNECT is kept as bytes and decoded again when the verdict arrives: the decoded
  // packet only views the input buffer, which is gone by then.
  conn.pending_connect.assign(current_packet.begin(), current_packet.end());
  conn.state = ConnectionState::authenticating;
  conn.password_verdict.reset();
  conn.password_checked_with = settings.listeners[conn.info.listener].passwords;
  PasswordCheck check{conn.password_checked_with, std::string(*packet.username),
                      std::string(reinterpret_cast<const char*>(packet.password->data()),
                                  packet.password->size())};
  host.check_password(conn.id, std::move(check));
}

void Engine::Impl::on_password_checked(Connection& conn, PasswordVerdict verdict) {
  if (conn.state != ConnectionState::authenticating || conn.password_verdict) return;
  conn.password_verdict = verdict;
  continue_connect(conn);
}

// Handles the kept CONNECT again, now that the host answered (a password verdict, or the end
// of an enhanced authentication exchange), then what the client sent after it.
void Engine::Impl::continue_connect(Connection& conn) {
  const std::vector<std::uint8_t> bytes = std::move(conn.pending_connect);
  conn.pending_connect.clear();
  conn.state = ConnectionState::awaiting_connect;
  mqtt::FixedHeader header;
  mqtt::DecodeStatus status = {};
  mqtt::Packet packet;
  // These bytes decoded once already, with the same limits: only a broken invariant fails.
  if (mqtt::parse_frame(bytes, static_cast<std::uint32_t>(bytes.size()), header, status) !=
          mqtt::FrameStatus::complete ||
      !mqtt::decode(header, std::span(bytes).subspan(header.header_size), conn.version, packet).ok() ||
      !std::holds_alternative<mqtt::Connect>(packet)) {
    log_line(LogLevel::error, "Client " + conn.info.peer + ": its stored CONNECT no longer decodes.");
    end_connection(conn);
    return;
  }
  current_packet = bytes;
  on_connect(conn, std::get<mqtt::Connect>(packet));
  // What the client sent after CONNECT waited for the verdict (framing.cpp): handle it now.
  if (!waiting_for_host(conn) && conn.state != ConnectionState::closing && !conn.inbox.empty())
    input(conn, {});
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
