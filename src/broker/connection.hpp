#pragma once
// One transport connection as the engine sees it: framing buffer, negotiated version, the
// limits the client announced in CONNECT, and per-connection state that does not survive a
// reconnect (topic aliases, MQTT 5.0 section 3.3.2.3.4; keepalive, section 3.1.2.10).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/engine.hpp"
#include "broker/subscription_index.hpp"
#include "mqtt/packet.hpp"

namespace attestmq::broker {

enum class ConnectionState : std::uint8_t {
  awaiting_connect,  // section 3.1: the first packet must be CONNECT
  authenticating,    // CONNECT received, its password with the host (Host::check_password)
  connected,         // CONNACK 0x00 sent, session attached
  closing,           // Host::close() called or transport gone: ignore further input
};

struct TopicEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

struct Connection {
  ConnId id = 0;
  ConnectionInfo info;
  ConnectionState state = ConnectionState::awaiting_connect;
  mqtt::Version version = mqtt::Version::v311;
  std::string client_id;  // for log lines
  SubscriberId session = 0;

  // Bytes of a packet not yet complete; while authenticating, everything sent after CONNECT.
  std::vector<std::uint8_t> inbox;
  // While authenticating: the CONNECT packet, decoded again once its password is checked.
  std::vector<std::uint8_t> pending_connect;
  std::optional<PasswordVerdict> password_verdict;  // set once the host answered, until CONNACK
  // The password_file the verdict came from: a SIGHUP reload meanwhile asks again.
  std::shared_ptr<const Credentials> password_checked_with;

  // MQTT 5.0 section 4.12: enhanced authentication (enhanced_authentication.cpp).
  enum class AuthExchange : std::uint8_t {
    idle,             // no step in progress
    awaiting_host,    // Host::authentication_step asked, Engine::authentication_answered due
    awaiting_client,  // AUTH 0x18 sent, the client's AUTH due
  };
  AuthExchange auth_exchange = AuthExchange::idle;
  std::string auth_method;          // from CONNECT; every AUTH must name it (MQTT-4.12.0-5)
  bool enhanced_auth_done = false;  // the CONNECT's exchange succeeded, CONNACK may follow
  bool password_authenticated = false;       // AuthenticationStep::password_authenticated
  std::vector<std::uint8_t> auth_context;    // AuthenticationOutcome::context, for the next step
  std::optional<AttestedClaims> attested;    // the last successful exchange's client claims
  std::uint64_t reauthentication_started_ms = 0;  // the AUTH 0x19 of an outstanding exchange

  // Deadlines (timers.cpp): when the connection opened (connect_timeout), when the packet now
  // waiting in `inbox` began (partial packets with keep alive 0), and the due time of this
  // connection's entry in the engine's timer queue (0: none queued).
  std::uint64_t opened_ms = 0;
  std::uint64_t partial_since_ms = 0;
  std::uint64_t timer_due_ms = 0;

  std::uint16_t keep_alive_s = 0;  // as granted (Server Keep Alive may lower it)
  std::uint64_t last_packet_ms = 0;

  // What the client announced in CONNECT (section 3.1.2.11).
  std::uint16_t send_window = 65535;         // min(Receive Maximum, max_inflight_messages)
  std::uint32_t max_packet_size = 0;         // 0 = no limit
  std::uint16_t client_topic_alias_max = 0;  // aliases we may use towards the client

  std::vector<std::string> aliases_in;  // index = alias chosen by the client; grows on use
  std::unordered_map<std::string, std::uint16_t, TopicLevelHash, TopicEqual> aliases_out;

  bool paused = false;          // host backlog above max_client_output_bytes
  bool publish_will = true;     // false after DISCONNECT 0x00 (section 3.14.4)
  bool transport_gone = false;  // Engine::closed() was called
};

}  // namespace attestmq::broker
