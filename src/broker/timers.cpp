// Time-driven events. Per connection: the CONNECT deadline (AttestMQ's connect_timeout for
// half-open connections), keep alive (MQTT 5.0 section 3.1.2.10: 1.5 times the Keep Alive
// without a packet) and the bound on a partial packet when keep alive is off. Per session:
// delayed wills (3.1.3.2.2) and session expiry (3.1.2.11.2). And $SYS updates.
//
// Connection deadlines live in a priority queue, so a tick costs the deadlines that came due,
// not one look at every connection: 100k half-open connections cost nothing until they
// expire. A deadline that moves later (keep alive after every packet) is not re-queued; its
// old entry comes due, finds the new deadline and queues that instead.
#include <algorithm>
#include <string>

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

namespace {

// Wills, session expiry and $SYS are whole seconds (sections 3.1.2.11.2, 3.1.3.2.2).
constexpr std::uint64_t kSessionSweepMs = 1000;
// Connection deadlines that fall close together are handled in one tick.
constexpr std::uint64_t kMinTickMs = 10;

}  // namespace

std::optional<std::uint64_t> Engine::Impl::connection_deadline(const Connection& conn) const {
  const std::uint64_t timeout = settings.connect_timeout_ms;
  switch (conn.state) {
    case ConnectionState::awaiting_connect:
    case ConnectionState::authenticating:  // the host's password check is bounded by it too
      if (timeout == 0) return std::nullopt;
      return conn.opened_ms + timeout;
    case ConnectionState::connected: {
      std::optional<std::uint64_t> deadline;
      if (conn.keep_alive_s != 0) {
        deadline = conn.last_packet_ms + std::uint64_t{conn.keep_alive_s} * 1500;
      } else if (!conn.inbox.empty() && timeout != 0) {
        // Keep alive 0 lets a client stay silent forever (section 3.1.2.10), but not hold half
        // a packet forever: that is a slowloris pinning its buffer. It gets connect_timeout.
        deadline = conn.partial_since_ms + timeout;
      }
      if (const auto reauthentication = reauthentication_deadline(conn))
        deadline = deadline ? std::min(*deadline, *reauthentication) : *reauthentication;
      return deadline;
    }
    case ConnectionState::closing:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Engine::Impl::reauthentication_deadline(const Connection& conn) const {
  // docs/attestation.md section 9.1: a re-authentication (AUTH 0x19) the client leaves
  // unanswered must not hold the connection under its previous attestation forever.
  if (conn.auth_exchange == Connection::AuthExchange::idle || settings.connect_timeout_ms == 0)
    return std::nullopt;
  return conn.reauthentication_started_ms + settings.connect_timeout_ms;
}

void Engine::Impl::arm_timer(Connection& conn) {
  const std::optional<std::uint64_t> deadline = connection_deadline(conn);
  if (!deadline) return;
  // An earlier entry is already queued: when it comes due it finds this deadline.
  if (conn.timer_due_ms != 0 && conn.timer_due_ms <= *deadline) return;
  conn.timer_due_ms = *deadline;
  connection_timers.push({*deadline, conn.id});
}

void Engine::Impl::partial_packet_started(Connection& conn) {
  // Only keep alive 0 needs the partial-packet bound (connection_deadline); skip the clock
  // read for everyone else.
  if (conn.state != ConnectionState::connected || conn.keep_alive_s != 0 ||
      settings.connect_timeout_ms == 0)
    return;
  conn.partial_since_ms = now();
  arm_timer(conn);
}

void Engine::Impl::connection_deadline_passed(Connection& conn) {
  const std::string timeout = std::to_string(settings.connect_timeout_ms);
  if (conn.state != ConnectionState::connected) {
    // No CONNECT, its password not yet checked, or its enhanced authentication (the attested
    // session's exchange) not finished: nothing is answered, the connection ends.
    const std::string_view what =
        conn.state != ConnectionState::authenticating ? "no CONNECT"
        : conn.auth_method.empty()                    ? "its password not checked"
                                                      : "its enhanced authentication not completed";
    log_line(LogLevel::notice, "Client " + conn.info.peer + " closed: " + std::string(what) +
                                   " within " + timeout + " ms.");
    end_connection(conn);
    return;
  }
  if (const auto reauthentication = reauthentication_deadline(conn);
      reauthentication && *reauthentication <= now()) {
    refuse_during_authentication(conn, mqtt::ReasonCode::NotAuthorized,
                                 "re-authentication not completed within " + timeout +
                                     " ms (connect_timeout)");
    return;
  }
  if (conn.keep_alive_s != 0) {
    if (settings.connection_messages)
      log_line(LogLevel::notice,
               "Client " + conn.client_id + " has exceeded timeout, disconnecting.");
    disconnect(conn, mqtt::ReasonCode::KeepAliveTimeout);
    return;
  }
  // MQTT 5.0 section 4.13 / table 2-21: 0x97 Quota exceeded is "an implementation or
  // administrative imposed limit has been exceeded".
  log_line(LogLevel::notice, "Client " + conn.client_id + " (" + conn.info.peer +
                                 ") closed: a packet stayed incomplete for " + timeout +
                                 " ms (connect_timeout, keep alive 0).");
  disconnect(conn, mqtt::ReasonCode::QuotaExceeded);
}

void Engine::Impl::expire_connection_timers(std::uint64_t now_ms) {
  while (!connection_timers.empty() && connection_timers.top().due_ms <= now_ms) {
    const ConnectionTimer timer = connection_timers.top();
    connection_timers.pop();
    auto it = connections.find(timer.conn);
    if (it == connections.end()) continue;
    Connection& conn = *it->second;
    if (conn.timer_due_ms != timer.due_ms) continue;  // superseded by an earlier entry
    conn.timer_due_ms = 0;
    const std::optional<std::uint64_t> deadline = connection_deadline(conn);
    if (!deadline) continue;
    if (*deadline > now_ms)
      arm_timer(conn);
    else
      connection_deadline_passed(conn);
  }
}

void Engine::Impl::tick() {
  const std::uint64_t now_ms = now();
  expire_connection_timers(now_ms);
  if (now_ms >= next_session_sweep_ms) {
    next_session_sweep_ms = now_ms + kSessionSweepMs;
    for (SubscriberId id = 0; id < sessions.size(); ++id) {
      Session& session = *sessions[id];
      if (!session.in_use) continue;
      if (session.will_at_ms && *session.will_at_ms <= now_ms) {
        publish_will(session);
        persist_session(session);
      }
      if (!session.connection && session.expires_at_ms && *session.expires_at_ms <= now_ms)
        end_session(id);
    }
  }
  if (settings.sys_interval_s != 0 && now_ms >= next_sys_ms) {
    publish_sys();
    next_sys_ms = now_ms + std::uint64_t{settings.sys_interval_s} * 1000;
  }
}

std::uint64_t Engine::Impl::next_tick_ms() {
  const std::uint64_t now_ms = now();
  std::uint64_t due = next_session_sweep_ms;
  if (!connection_timers.empty()) due = std::min(due, connection_timers.top().due_ms);
  return std::clamp<std::uint64_t>(due > now_ms ? due - now_ms : 0, kMinTickMs, kSessionSweepMs);
}

}  // namespace attestmq::broker
