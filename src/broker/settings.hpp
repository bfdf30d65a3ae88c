#pragma once
// What the engine needs to know of the configuration. The config layer fills it from
// mosquitto.conf syntax; defaults follow Mosquitto 2.0's documented defaults.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attestmq::broker {

class AccessControl;  // access_control.hpp: the rules of an acl_file

// Checks a username and password against a password_file. Implemented outside the engine
// (config/password_file), because the hashes need a crypto library the engine does not link.
class Credentials {
 public:
  virtual ~Credentials() = default;
  // True only for a known user whose password matches; compared in constant time.
  virtual bool verify(std::string_view username, std::string_view password) const = 0;
};

// Settings that per_listener_settings makes per listener (Mosquitto's "security" options).
struct ListenerPolicy {
  bool allow_anonymous = false;
  // Mosquitto's use_username_as_clientid: the client id becomes the username, so that one
  // user cannot take over (or read the queue of) another user's session.
  bool use_username_as_clientid = false;
  // MQTT 5.0 section 4.12: the enhanced authentication methods the host runs on this listener
  // (Host::authentication_step); a CONNECT naming another is refused with 0x8C.
  std::vector<std::string> authentication_methods;
  // Every client must complete one of those methods: a CONNECT naming none (every MQTT 3.1.1
  // CONNECT) is refused with 0x87 Not authorized (3.1.1: 5). Mutual attestation
  // (docs/attestation.md section 7.7) sets it.
  bool authentication_required = false;
  std::shared_ptr<const Credentials> passwords;  // password_file; null: none
  std::shared_ptr<const AccessControl> acl;      // acl_file; null: every topic allowed
};

struct Settings {
  // Indexed by the listener number passed to Engine::open(); with per_listener_settings
  // false every entry equals the global policy.
  std::vector<ListenerPolicy> listeners{ListenerPolicy{}};

  std::uint16_t max_inflight_messages = 20;  // outgoing QoS 1/2 window; 0 = 65535
  // Payload bytes of outgoing QoS 1/2 messages in flight per client; 0 = unlimited. Another
  // message goes out while fewer bytes are in flight (Mosquitto's rule).
  std::uint64_t max_inflight_bytes = 0;
  // Mosquitto's upgrade_outgoing_qos: deliver at the subscription's QoS even when the message
  // was published at a lower one (against MQTT 5.0 section 3.8.4, on the operator's request).
  bool upgrade_outgoing_qos = false;
  std::uint32_t max_queued_messages = 1000;  // per client; 0 = unlimited
  std::uint64_t max_queued_bytes = 0;        // per client; 0 = unlimited
  std::uint32_t message_size_limit = 0;      // payload bytes; 0 = no limit beyond the spec's
  std::uint32_t max_packet_size = 0;         // incoming packets; 0 = spec maximum
  // AttestMQ's max_connect_size: the largest first packet of a connection, checked on its fixed
  // header before any of it is buffered, so an unauthenticated peer costs at most this much
  // engine memory; 0 = only max_packet_size applies.
  std::uint32_t max_connect_size = 64 * 1024;
  // Mosquitto's TOPIC_HIERARCHY_LIMIT: deeper topic names and filters are refused, which also
  // bounds every per-level walk of the subscription index and the retained store.
  std::uint32_t max_topic_levels = 200;
  std::uint32_t max_subscriptions_per_client = 0;  // 0 = unlimited
  std::uint16_t max_keepalive = 65535;
  std::uint8_t max_qos = 2;
  std::uint16_t max_topic_alias = 10;  // client-to-broker aliases we accept
  bool retain_available = true;
  std::optional<std::uint64_t> persistent_client_expiration_s;  // nullopt = never
  std::uint32_t sys_interval_s = 10;                           // 0 = no $SYS updates
  bool connection_messages = true;
  // AttestMQ's connect_timeout: a connection that has not completed its CONNECT this long
  // after it opened is closed (half-open and slowloris connections); 0 = never.
  std::uint32_t connect_timeout_ms = 10'000;
  // Output the host may hold for one client before QoS 0 messages to it are dropped and
  // QoS 1/2 wait in its queue (bounded memory per slow consumer).
  std::uint64_t max_client_output_bytes = 4 * 1024 * 1024;
  std::string version_string = "attestmq 0.1.0";
};

}  // namespace attestmq::broker
