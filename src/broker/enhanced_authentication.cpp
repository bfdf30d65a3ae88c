// Enhanced authentication (MQTT 5.0 section 4.12): CONNECT names a method and carries its
// first Authentication Data, the host runs the method (Host::authentication_step) and the
// engine carries its AUTH packets until the host says success (CONNACK) or failure. After
// CONNACK, AUTH 0x19 starts a re-authentication on the live connection (section 4.12.1). The
// engine knows no method: the attested-session protocol of docs/attestation.md is one the
// native server offers.
#include <algorithm>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

bool Engine::Impl::offers_method(const Connection& conn, std::string_view method) const {
  const auto& methods = settings.listeners[conn.info.listener].authentication_methods;
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

void Engine::Impl::start_authentication(Connection& conn, const mqtt::Connect& packet) {
  conn.pending_connect.assign(current_packet.begin(), current_packet.end());
  conn.state = ConnectionState::authenticating;
  conn.auth_method.assign(*packet.properties.authentication_method);
  // The exchange's AUTH packets already obey the client's limit (auth_fits).
  conn.max_packet_size = packet.properties.maximum_packet_size.value_or(0);
  // The password (if any) was checked before the exchange started (on_connect).
  conn.password_authenticated = conn.info.transport_username.has_value() ||
                                conn.password_verdict == PasswordVerdict::valid;
  ask_host(conn, packet.properties, true);
}

void Engine::Impl::ask_host(Connection& conn, const mqtt::Properties& properties,
                            bool starts_exchange) {
  conn.auth_exchange = Connection::AuthExchange::awaiting_host;
  AuthenticationStep step;
  step.method = conn.auth_method;
  if (properties.authentication_data)
    step.data.assign(properties.authentication_data->begin(), properties.authentication_data->end());
  step.starts_exchange = starts_exchange;
  step.reauthentication = conn.state == ConnectionState::connected;
  step.listener = conn.info.listener;
  step.password_authenticated = conn.password_authenticated;
  if (!starts_exchange) step.context = std::move(conn.auth_context);
  conn.auth_context.clear();
  if (starts_exchange && step.reauthentication) {
    // The whole re-authentication is bounded by connect_timeout (timers.cpp).
    conn.reauthentication_started_ms = now();
    arm_timer(conn);
  }
  host.authentication_step(conn.id, std::move(step));
}

namespace {

mqtt::Auth auth_packet(const Connection& conn, mqtt::ReasonCode code,
                       std::span<const std::uint8_t> data) {
  mqtt::Auth auth;
  auth.reason = code;
  // Section 3.15.2.2.2: every AUTH names the method of the exchange.
  auth.properties.authentication_method = conn.auth_method;
  if (!data.empty()) auth.properties.authentication_data = mqtt::Bytes(data.data(), data.size());
  return auth;
}

}  // namespace

void Engine::Impl::send_auth(Connection& conn, mqtt::ReasonCode code,
                             std::span<const std::uint8_t> data) {
  send_packet(conn, auth_packet(conn, code, data));
}

// MQTT 5.0 section 3.1.2.11.4 [MQTT-3.1.2-24]: nothing larger than the client's Maximum
// Packet Size goes to it, an AUTH with evidence included (docs/attestation.md 7.4 step 5).
bool Engine::Impl::auth_fits(const Connection& conn, std::span<const std::uint8_t> data,
                             std::size_t& size) const {
  std::vector<std::uint8_t> encoded;
  mqtt::encode(auth_packet(conn, mqtt::ReasonCode::ContinueAuthentication, data), conn.version,
               encoded);
  size = encoded.size();
  return conn.max_packet_size == 0 || size <= conn.max_packet_size;
}

void Engine::Impl::refuse_during_authentication(Connection& conn, mqtt::ReasonCode code,
                                                std::string_view why) {
  conn.auth_exchange = Connection::AuthExchange::idle;
  if (conn.state == ConnectionState::authenticating) {
    // docs/attestation.md section 9.1: the refusal says why in a Reason String too.
    refuse(conn, conn.version, code, why, true);
    return;
  }
  log_line(LogLevel::notice, "Client " + conn.client_id + " (" + conn.info.peer +
                                 ") re-authentication failed: " + std::string(why) + " (" +
                                 std::string(mqtt::to_string(code)) + "), disconnecting.");
  disconnect(conn, code);
}

void Engine::Impl::on_auth(Connection& conn, const mqtt::Auth& packet) {
  using Exchange = Connection::AuthExchange;
  const auto& method = packet.properties.authentication_method;
  // Sections 4.12 and 3.15.2.2.2: an AUTH belongs to an exchange that CONNECT started and
  // names its method; without a method in CONNECT it is a Protocol Error, with another method
  // a Bad authentication method.
  // After CONNACK [MQTT-4.12.1-1] requires the method of CONNECT: another is a Protocol Error
  // there (docs/attestation.md section 9.1).
  if (conn.auth_method.empty() || !method || *method != conn.auth_method) {
    const bool bad_method = !conn.auth_method.empty() && conn.state == ConnectionState::authenticating;
    refuse_during_authentication(conn,
                                 bad_method ? mqtt::ReasonCode::BadAuthenticationMethod
                                            : mqtt::ReasonCode::ProtocolError,
                                 "AUTH without the Authentication Method of CONNECT "
                                 "(MQTT 5.0 section 4.12)");
    return;
  }
  const bool continues = packet.reason == mqtt::ReasonCode::ContinueAuthentication &&
                         conn.auth_exchange == Exchange::awaiting_client;
  // Section 4.12.1: re-authentication only after CONNACK, and one exchange at a time.
  const bool restarts = packet.reason == mqtt::ReasonCode::ReAuthenticate &&
                        conn.state == ConnectionState::connected &&
                        conn.auth_exchange == Exchange::idle;
  if (!continues && !restarts) {
    refuse_during_authentication(conn, mqtt::ReasonCode::ProtocolError,
                                 "AUTH " + std::string(mqtt::to_string(packet.reason)) +
                                     " out of turn (MQTT 5.0 section 4.12)");
    return;
  }
  ask_host(conn, packet.properties, restarts);
}

// docs/attestation.md section 9.1: a client that attested itself is logged at notice level.
void Engine::Impl::log_attested(const Connection& conn) {
  const AttestedClaims& claims = *conn.attested;
  const std::string name = conn.client_id.empty() ? conn.info.peer
                                                  : conn.client_id + " (" + conn.info.peer + ")";
  log_line(LogLevel::notice,
           "Client " + name + " attested: " + claims.evidence_type +
               (claims.evidence_type == "sim" ? " (SIMULATED, NO SECURITY)" : "") + ", module " +
               claims.module_sha256 + ", measurement " + claims.measurement + ".");
}

void Engine::Impl::on_authentication_answered(Connection& conn, AuthenticationOutcome outcome) {
  using Exchange = Connection::AuthExchange;
  using Kind = AuthenticationOutcome::Kind;
  if (conn.auth_exchange != Exchange::awaiting_host) return;  // closed, or never asked
  const bool initial = conn.state == ConnectionState::authenticating;
  switch (outcome.kind) {
    case Kind::continue_with:
      if (std::size_t size = 0; !auth_fits(conn, outcome.data, size)) {
        refuse_during_authentication(
            conn, mqtt::ReasonCode::PacketTooLarge,
            "an AUTH of " + std::to_string(size) + " bytes exceeds the client's Maximum Packet "
                "Size of " + std::to_string(conn.max_packet_size) + " bytes");
        return;
      }
      conn.auth_exchange = Exchange::awaiting_client;
      conn.auth_context = std::move(outcome.context);
      send_auth(conn, mqtt::ReasonCode::ContinueAuthentication, outcome.data);
      // What arrived while the host worked may hold the client's reply.
      if (initial && !conn.inbox.empty()) input(conn, {});
      return;
    case Kind::success:
      conn.auth_exchange = Exchange::idle;
      conn.attested = std::move(outcome.attested);
      if (conn.attested) log_attested(conn);
      if (!initial) {
        // The ACL follows what the client proved in this exchange (docs/attestation.md 7.6).
        Session& session = session_of(conn);
        session.attested = conn.attested;
        resolve_access(session);
        send_auth(conn, mqtt::ReasonCode::Success, {});
        return;
      }
      conn.enhanced_auth_done = true;
      continue_connect(conn);
      return;
    case Kind::failure:
      refuse_during_authentication(conn, outcome.code, outcome.reason);
      return;
  }
}

}  // namespace attestmq::broker
