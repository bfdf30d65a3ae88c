#pragma once
// Session state (MQTT 5.0 section 4.1): what survives a disconnect while the session has not
// expired: subscriptions, QoS 1/2 messages in flight in both directions, the queue of
// messages waiting for the in-flight window or for the client to come back, and the will.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/attested_client.hpp"
#include "broker/inflight_window.hpp"
#include "broker/lazy_deque.hpp"
#include "broker/message.hpp"
#include "broker/subscription_index.hpp"

namespace attestmq::broker {

struct Connection;
class ClientAccess;

// MQTT 5.0 section 3.1.2.11.2: this Session Expiry Interval means the session never ends.
inline constexpr std::uint32_t kSessionNeverExpires = 0xFFFFFFFF;

// A subscription as its session remembers it, to release it when the session ends and to
// persist it (stored_records.hpp).
struct SessionSubscription {
  std::string filter;
  SubscriptionOptions options;
};

struct Session {
  bool in_use = false;
  bool stored = false;  // it has a record in the host's Store (persistence.cpp)
  std::string client_id;
  Connection* connection = nullptr;  // nullptr while the client is offline

  // Section 3.1.2.11.2; nullopt = never expires.
  std::optional<std::uint64_t> expiry_interval_s;
  std::optional<std::uint64_t> expires_at_ms;  // set while offline

  std::uint16_t next_packet_id = 1;
  InflightWindow inflight;
  std::size_t awaiting_resend = 0;  // entries of `inflight` with awaiting_resend set
  std::uint64_t inflight_bytes = 0;  // payload bytes of the other entries (max_inflight_bytes)
  LazyDeque<Delivery> queue;
  std::uint64_t queued_bytes = 0;
  // Messages dropped for this client (queue or output limits) not yet in a log line, and when
  // the last such line was written (delivery.cpp).
  std::uint64_t drops_unreported = 0;
  std::optional<std::uint64_t> drops_reported_ms;

  // Incoming QoS 2 packet identifiers whose PUBREL has not arrived (section 4.3.3).
  std::vector<std::uint16_t> incoming_qos2;

  std::vector<SessionSubscription> subscriptions;

  // What the acl_file lets this client do, set at each CONNECT and when the listeners'
  // policies change; null without an acl_file. Resolved from the listener and the username
  // (nullopt: anonymous) of the last CONNECT.
  std::shared_ptr<const ClientAccess> access;
  std::uint32_t listener = 0;
  std::optional<std::string> username;
  // What the client of the last CONNECT (or re-authentication) proved by mutual attestation.
  std::optional<AttestedClaims> attested;

  // Section 3.1.3.2: the will and when a delayed will is due.
  std::shared_ptr<Message> will;
  std::optional<std::uint32_t> will_expiry_interval_s;
  std::uint32_t will_delay_s = 0;
  std::optional<std::uint64_t> will_at_ms;

  // Routing scratch: which publication last matched this session and its recipient slot,
  // so that overlapping subscriptions yield one delivery (section 3.3.4).
  std::uint64_t match_mark = 0;
  std::uint32_t match_slot = 0;
};

}  // namespace attestmq::broker
