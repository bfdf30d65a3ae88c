// Time-driven events: keepalive (MQTT 5.0 section 3.1.2.10: 1.5 times the Keep Alive without
// a packet), delayed wills (3.1.3.2.2), session expiry (3.1.2.11.2) and $SYS updates.
#include <string>

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

void Engine::Impl::tick() {
  const std::uint64_t now_ms = now();
  for (auto& [id, conn] : connections) {
    if (conn->state != ConnectionState::connected || conn->keep_alive_s == 0) continue;
    if (now_ms - conn->last_packet_ms < std::uint64_t{conn->keep_alive_s} * 1500) continue;
    if (settings.connection_messages)
      log_line(LogLevel::notice,
               "Client " + conn->client_id + " has exceeded timeout, disconnecting.");
    disconnect(*conn, mqtt::ReasonCode::KeepAliveTimeout);
  }
  for (SubscriberId id = 0; id < sessions.size(); ++id) {
    Session& session = *sessions[id];
    if (!session.in_use) continue;
    if (session.will_at_ms && *session.will_at_ms <= now_ms) publish_will(session);
    if (!session.connection && session.expires_at_ms && *session.expires_at_ms <= now_ms)
      end_session(id);
  }
  if (settings.sys_interval_s != 0 && now_ms >= next_sys_ms) {
    publish_sys();
    next_sys_ms = now_ms + std::uint64_t{settings.sys_interval_s} * 1000;
  }
}

}  // namespace attestmq::broker
