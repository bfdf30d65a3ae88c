// Framing and dispatch: bytes from the host become packets (partial packets wait in the
// connection's inbox), packets go to their handler, and malformed input ends the connection
// with the reason code the codec names (MQTT 5.0 section 4.13).
#include <algorithm>
#include <limits>
#include <string>

#include "broker/engine_impl.hpp"

namespace attestmq::broker {

namespace {

// Offset of the protocol level byte in a CONNECT body: 2-byte length + "MQTT" (3.1.2.2).
constexpr std::size_t kProtocolLevelOffset = 6;

std::string describe(const Connection& conn) {
  std::string who = conn.client_id.empty() ? std::string("<unknown>") : conn.client_id;
  return who + " (" + conn.info.peer + ")";
}

}  // namespace

void Engine::Impl::input(Connection& conn, std::span<const std::uint8_t> bytes) {
  counters.bytes_received += bytes.size();
  if (conn.state == ConnectionState::closing) return;
  if (waiting_for_host(conn)) {
    hold_until_connack(conn, bytes);
    return;
  }
  if (conn.inbox.empty()) {
    // Common case: whole packets, parsed straight from the host's buffer.
    std::size_t used = consume(conn, bytes);
    if (conn.state != ConnectionState::closing && used < bytes.size()) {
      conn.inbox.assign(bytes.begin() + static_cast<std::ptrdiff_t>(used), bytes.end());
      partial_packet_started(conn);
    }
    return;
  }
  conn.inbox.insert(conn.inbox.end(), bytes.begin(), bytes.end());
  std::size_t used = consume(conn, conn.inbox);
  if (conn.state == ConnectionState::closing) {
    conn.inbox.clear();
    return;
  }
  conn.inbox.erase(conn.inbox.begin(), conn.inbox.begin() + static_cast<std::ptrdiff_t>(used));
  if (used != 0 && !conn.inbox.empty()) partial_packet_started(conn);
}

std::size_t Engine::Impl::consume(Connection& conn, std::span<const std::uint8_t> bytes) {
  std::uint32_t limit = settings.max_packet_size != 0 ? settings.max_packet_size
                                                      : std::numeric_limits<std::uint32_t>::max();
  // Before CONNACK the peer is unauthenticated: the first packet, and each AUTH of an enhanced
  // authentication (docs/attestation.md section 7.4 step 7), is judged on its fixed header
  // alone, so a hostile connection costs at most max_connect_size of buffered bytes.
  const bool unauthenticated = conn.state == ConnectionState::awaiting_connect ||
                               conn.state == ConnectionState::authenticating;
  if (unauthenticated && settings.max_connect_size != 0) {
    limit = std::min(limit, settings.max_connect_size);
  }
  if (conn.state == ConnectionState::awaiting_connect && settings.max_connect_size != 0) {
    if (!bytes.empty() && (bytes[0] >> 4) != static_cast<std::uint8_t>(mqtt::PacketType::Connect)) {
      first_packet_not_connect(conn);
      return bytes.size();
    }
  }
  // One clock read per batch of bytes, not per packet: keepalive needs only millisecond
  // precision (MQTT 5.0 section 3.1.2.10) and the read showed up in profiles.
  const std::uint64_t arrived_ms = now();
  std::size_t pos = 0;
  while (pos < bytes.size() && conn.state != ConnectionState::closing && !waiting_for_host(conn)) {
    std::span<const std::uint8_t> rest = bytes.subspan(pos);
    mqtt::FixedHeader header;
    mqtt::DecodeStatus status;
    mqtt::FrameStatus frame = mqtt::parse_frame(rest, limit, header, status);
    if (frame == mqtt::FrameStatus::need_more) break;
    if (frame == mqtt::FrameStatus::error) {
      // A CONNECT over the limit is refused on its fixed header; what arrived of its body
      // may already say the version, and so whether CONNACK 0x95 can be sent.
      const bool too_large = status.code == mqtt::ReasonCode::PacketTooLarge &&
                             header.type == mqtt::PacketType::Connect;
      malformed(conn, status, too_large ? rest.subspan(header.header_size) : rest.first(0),
                conn.state == ConnectionState::awaiting_connect);
      return bytes.size();
    }
    std::span<const std::uint8_t> body = rest.subspan(header.header_size, header.remaining_length);
    pos += header.total_size();
    conn.last_packet_ms = arrived_ms;
    ++counters.messages_received;
    if (conn.state == ConnectionState::awaiting_connect &&
        header.type != mqtt::PacketType::Connect) {
      first_packet_not_connect(conn);
      break;
    }
    current_packet = rest.first(header.total_size());
    status = mqtt::decode(header, body, conn.version, decoded);
    if (!status.ok()) {
      malformed(conn, status, body, header.type == mqtt::PacketType::Connect);
      break;
    }
    dispatch(conn, decoded);
  }
  return pos;
}

// MQTT 5.0 section 3.1.4: a client may send packets before CONNACK; while its password is
// checked they wait, within the pre-CONNECT bound (max_connect_size).
void Engine::Impl::hold_until_connack(Connection& conn, std::span<const std::uint8_t> bytes) {
  // Unauthenticated bytes are bounded even when max_connect_size is 0.
  constexpr std::uint32_t kDefaultBound = 64 * 1024;
  const std::uint32_t bound = settings.max_connect_size != 0 ? settings.max_connect_size : kDefaultBound;
  if (conn.inbox.size() + bytes.size() > bound) {
    log_line(LogLevel::notice, "Client " + describe(conn) + " sent more than max_connect_size (" +
                                   std::to_string(bound) +
                                   " bytes) before its CONNECT was answered, closing.");
    end_connection(conn);
    return;
  }
  conn.inbox.insert(conn.inbox.end(), bytes.begin(), bytes.end());
}

// MQTT 5.0 section 3.1 / 3.1.1 section 3.1: the first packet must be CONNECT.
void Engine::Impl::first_packet_not_connect(Connection& conn) {
  log_line(LogLevel::notice, "Client " + describe(conn) +
                                 " sent a packet other than CONNECT first (MQTT section 3.1), "
                                 "closing.");
  end_connection(conn);
}

void Engine::Impl::dispatch(Connection& conn, mqtt::Packet& packet) {
  if (conn.state == ConnectionState::authenticating) {
    // MQTT 5.0 section 3.1.2.11.9 [MQTT-3.1.2-30]: until CONNACK only AUTH and DISCONNECT.
    if (auto* auth = std::get_if<mqtt::Auth>(&packet)) return on_auth(conn, *auth);
    if (std::holds_alternative<mqtt::Disconnect>(packet)) return end_connection(conn);
    refuse_during_authentication(conn, mqtt::ReasonCode::ProtocolError,
                                 "a packet other than AUTH or DISCONNECT before CONNACK during "
                                 "enhanced authentication (MQTT 5.0 section 4.12)");
    return;
  }
  if (auto* publish = std::get_if<mqtt::Publish>(&packet)) {
    if (conn.state != ConnectionState::connected) return;
    on_publish(conn, *publish);
    return;
  }
  if (auto* connect = std::get_if<mqtt::Connect>(&packet)) {
    on_connect(conn, *connect);
    return;
  }
  if (conn.state != ConnectionState::connected) return;
  if (auto* p = std::get_if<mqtt::Puback>(&packet)) return on_puback(conn, *p);
  if (auto* p = std::get_if<mqtt::Pubrec>(&packet)) return on_pubrec(conn, *p);
  if (auto* p = std::get_if<mqtt::Pubrel>(&packet)) return on_pubrel(conn, *p);
  if (auto* p = std::get_if<mqtt::Pubcomp>(&packet)) return on_pubcomp(conn, *p);
  if (auto* p = std::get_if<mqtt::Subscribe>(&packet)) return on_subscribe(conn, *p);
  if (auto* p = std::get_if<mqtt::Unsubscribe>(&packet)) return on_unsubscribe(conn, *p);
  if (std::holds_alternative<mqtt::Pingreq>(packet)) {
    send_packet(conn, mqtt::Pingresp{});  // section 3.12.4
    return;
  }
  if (auto* p = std::get_if<mqtt::Disconnect>(&packet)) return on_disconnect(conn, *p);
  if (auto* auth = std::get_if<mqtt::Auth>(&packet)) return on_auth(conn, *auth);
  // CONNACK, SUBACK, UNSUBACK, PINGRESP only travel from server to client (section 2.1.2).
  protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                 "a server-to-client packet sent by a client (MQTT 5.0 section 2.1.2)");
}

void Engine::Impl::malformed(Connection& conn, const mqtt::DecodeStatus& status,
                             std::span<const std::uint8_t> body, bool is_connect) {
  if (!is_connect && conn.state == ConnectionState::authenticating) {
    // Before CONNACK the refusal is a CONNACK (docs/attestation.md section 9.1): 0x81, or
    // 0x95 for an AUTH over max_connect_size.
    refuse_during_authentication(conn, status.code, std::string("a bad AUTH: ") + status.detail);
    return;
  }
  if (is_connect && conn.state == ConnectionState::connected) {
    // Whatever is wrong inside it, a second CONNECT is a Protocol Error (MQTT 5.0 section
    // 3.1, [MQTT-3.1.0-2]); the decoder's code may be one only CONNACK can carry (0x84).
    protocol_error(conn, mqtt::ReasonCode::ProtocolError,
                   std::string("a second CONNECT (MQTT 5.0 section 3.1), itself bad: ") + status.detail);
    return;
  }
  if (!is_connect) {
    protocol_error(conn, status.code, status.detail);
    return;
  }
  log_line(LogLevel::notice, "Client " + describe(conn) + " sent a bad CONNECT: " + status.detail +
                                 " (" + std::string(mqtt::to_string(status.code)) + "), closing.");
  // MQTT 5.0 section 3.1.4: the Server MAY send CONNACK with a reason code >= 0x80 before
  // closing; MQTT 3.1.1 section 3.1.2.2 answers an unknown protocol level with return code 1.
  const bool says_v5 = body.size() > kProtocolLevelOffset &&
                       body[kProtocolLevelOffset] == static_cast<std::uint8_t>(mqtt::Version::v5);
  if (says_v5) {
    conn.version = mqtt::Version::v5;
    send_packet(conn, mqtt::Connack{false, status.code, {}});
  } else if (status.code == mqtt::ReasonCode::UnsupportedProtocolVersion) {
    conn.version = mqtt::Version::v311;
    send_packet(conn, mqtt::Connack{false, status.code, {}});
  }
  end_connection(conn);
}

void Engine::Impl::protocol_error(Connection& conn, mqtt::ReasonCode code, std::string_view rule) {
  log_line(LogLevel::notice, "Client " + describe(conn) + " protocol error: " + std::string(rule) +
                                 " (" + std::string(mqtt::to_string(code)) + "), disconnecting.");
  disconnect(conn, code);
}

void Engine::Impl::transmit(Connection& conn) {
  counters.bytes_sent += out.size();
  ++counters.messages_sent;
  std::uint64_t backlog = host.send(conn.id, out);
  if (backlog > settings.max_client_output_bytes) conn.paused = true;
}

}  // namespace attestmq::broker
