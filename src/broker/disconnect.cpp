// How connections end: the client's DISCONNECT (MQTT 5.0 section 3.14), the broker's
// DISCONNECT with a reason code (section 4.13), the transport going away, and shutdown.
// Ending a connection detaches its session, which then waits for the client or expires.
#include <string>

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

void Engine::Impl::on_disconnect(Connection& conn, const mqtt::Disconnect& packet) {
  Session& session = session_of(conn);
  if (packet.properties.session_expiry_interval) {
    // Section 3.14.2.2.2: a session that was to end at disconnect may not be prolonged here.
    if (session.expiry_interval_s == 0 && *packet.properties.session_expiry_interval != 0) {
      protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                     "DISCONNECT sets a Session Expiry Interval after CONNECT set 0 "
                     "(MQTT 5.0 section 3.14.2.2.2)");
      return;
    }
    const std::uint32_t interval = *packet.properties.session_expiry_interval;
    if (interval == kSessionNeverExpires)
      session.expiry_interval_s.reset();
    else
      session.expiry_interval_s = interval;
  }
  // Section 3.14.4: the will is discarded on a normal DISCONNECT; 0x04 asks for it anyway.
  conn.publish_will = packet.reason == mqtt::ReasonCode::DisconnectWithWill;
  if (settings.connection_messages)
    log_line(LogLevel::notice, "Client " + conn.client_id + " disconnected.");
  end_connection(conn);
}

void Engine::Impl::disconnect(Connection& conn, mqtt::ReasonCode code) {
  if (conn.state == ConnectionState::connected && conn.version == mqtt::Version::v5 &&
      !conn.transport_gone)
    send_packet(conn, mqtt::Disconnect{code, {}});
  end_connection(conn);
}

void Engine::Impl::end_connection(Connection& conn) {
  if (conn.state == ConnectionState::closing) return;
  const bool was_connected = conn.state == ConnectionState::connected;
  conn.state = ConnectionState::closing;
  if (was_connected) {
    --counters.clients_connected;
    Session& session = session_of(conn);
    session.connection = nullptr;
    if (conn.publish_will)
      will_on_connection_end(session);
    else
      session.will.reset();
    if (session.expiry_interval_s == 0) {
      end_session(conn.session);
    } else {
      if (session.expiry_interval_s) session.expires_at_ms = now() + *session.expiry_interval_s * 1000;
      persist_session(session);  // the will is gone, published or due later
    }
  }
  if (!conn.transport_gone) host.close(conn.id);
}

void Engine::Impl::on_transport_closed(Connection& conn) {
  conn.transport_gone = true;
  if (conn.state == ConnectionState::connected && settings.connection_messages)
    log_line(LogLevel::notice, "Client " + conn.client_id + " closed its connection.");
  end_connection(conn);
  gone.push_back(conn.id);
}

void Engine::Impl::shutdown() {
  // Mosquitto publishes the wills of clients still connected when it stops; so do we.
  for (auto& [id, conn] : connections) {
    if (conn->state == ConnectionState::closing) continue;
    disconnect(*conn, mqtt::ReasonCode::ServerShuttingDown);
  }
}

}  // namespace attestmq::broker
