// A connection on a TLS listener: its tls::Session lives here, on the connection's own
// reactor thread, so handshakes and decryption run outside the engine lock and a slow
// handshake never holds up other clients. The engine only sees plaintext and only hears of
// the connection once the handshake completed (Engine::open with the identity the
// certificate or pre-shared key proved). Plaintext the engine sends is encrypted when the
// outbox is flushed (reactor.cpp); Host::close adds close_notify (reactor_closing.cpp).
#include <sys/epoll.h>

#include <string>

#include "config/transport_username.hpp"
#include "server/reactor.hpp"
#include "server/server_core.hpp"

namespace attestmq::server {

using broker::ConnId;
using broker::LogLevel;
using tls::Session;

void Reactor::start_tls(ConnId conn, Connection& connection, std::shared_ptr<const tls::Context> context) {
  connection.tls = std::make_unique<Session>(std::move(context));
  // The engine's connect timeout starts at Engine::open; the handshake before it has its own.
  const std::uint32_t timeout = core_.config().settings.connect_timeout_ms;
  if (timeout != 0) handshake_deadlines_.add(conn, core_.now_ms() + timeout);
}

void Reactor::receive_tls(ConnId conn, Connection& connection, std::span<const std::uint8_t> ciphertext) {
  Session& session = *connection.tls;
  decrypted_.clear();
  const Session::State state = session.receive(ciphertext, decrypted_, connection.output);
  if (state == Session::State::failed) return fail_tls(conn, connection);
  if (session.take_handshake_completed() && !open_authenticated(conn, connection)) return;
  if (!decrypted_.empty() && connection.engine_open) {
    core_.with_engine([&](broker::Engine& engine) { engine.input(conn, decrypted_); });
  }
  // The peer's close_notify: like a TCP EOF, after the data that preceded it.
  if (state == Session::State::closed) return close_connection(conn);
  send_pending(conn, connection);
}

// The username the certificate or pre-shared key proved, if the listener takes it from
// there (config/transport_username.hpp); a client that cannot supply one is refused.
bool Reactor::open_authenticated(ConnId conn, Connection& connection) {
  const config::ListenerTls& options = core_.config().listeners[connection.listener].tls;
  const tls::PeerIdentity& peer = connection.tls->peer();
  core_.log_parts(LogLevel::debug, "Client ", connection.peer, " TLS handshake completed (",
                  peer.protocol, ", ", peer.cipher, ").");
  config::TransportUsername username = config::transport_username(options, peer);
  if (!username.refusal.empty()) {
    core_.log_parts(LogLevel::notice, "Client ", connection.peer, " refused: ", username.refusal, ".");
    refuse(conn, connection);
    return false;
  }
  open_in_engine(conn, connection, std::move(username.username));
  return true;
}

// The alert is already in the output: send it, then close as gracefully as a refusal.
void Reactor::fail_tls(ConnId conn, Connection& connection) {
  core_.log_parts(LogLevel::notice, "Client ", connection.peer,
                  connection.engine_open ? " TLS error: " : " TLS handshake failed: ",
                  connection.tls->error());
  refuse(conn, connection);
}

void Reactor::refuse(ConnId conn, Connection& connection) {
  begin_closing(conn, connection);
  if (write_output(conn, connection)) continue_closing(conn, connection);
}

// Handshake records and alerts the session produced; what the socket does not take now
// waits for EPOLLOUT.
void Reactor::send_pending(ConnId conn, Connection& connection) {
  if (connection.unwritten() == 0) return;
  if (!write_output(conn, connection)) return;
  set_interest(conn, connection, connection.unwritten() > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

// Closes the connections whose TLS handshake is overdue; returns the epoll_wait timeout
// until the next deadline, or -1 when none is pending.
int Reactor::expire_handshakes() {
  return handshake_deadlines_.expire(core_.now_ms(), [&](broker::ConnId conn) {
    const auto it = connections_.find(conn);
    if (it == connections_.end() || it->second.engine_open || it->second.closing) return;
    core_.log_parts(LogLevel::notice, "Client ", it->second.peer, " did not complete the TLS handshake within ",
                    std::to_string(core_.config().settings.connect_timeout_ms), " ms, closing it.");
    close_connection(conn);
  });
}

}  // namespace attestmq::server
