#pragma once
// The bytes of each persisted record (store.hpp), written and read only here. Every value
// starts with a format byte; a reader refuses a format it does not know, a length that runs
// past the end, invalid UTF-8, an invalid topic or filter and bytes left over, with a sentence
// saying which. Nothing read from storage is trusted: with sealing, storage is the untrusted
// host's, and without it a disk can still be damaged.
//
// Message expiry (MQTT 5.0 section 3.3.2.3.3) is kept as a wall-clock deadline, so that time
// spent stopped counts: the engine's own deadlines are on a monotonic clock that restarts.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "broker/inflight_window.hpp"
#include "broker/session.hpp"

namespace attestmq::broker {

// Both clocks read at one moment, to move a deadline between them.
struct Clocks {
  std::uint64_t now_ms = 0;  // Host::now_ms
  std::uint64_t wall_s = 0;  // Host::wall_clock_s
};

struct SessionRecord {
  std::optional<std::uint64_t> expiry_interval_s;  // nullopt: never expires
  // Whose session it is, for the acl_file (its will is checked against it when published).
  std::uint32_t listener = 0;
  std::optional<std::string> username;
  std::vector<std::uint16_t> incoming_qos2;
  std::vector<SessionSubscription> subscriptions;
  // Section 3.1.3.2: the will, and when a delayed will is due; a will without a due time was
  // its client's while connected.
  std::shared_ptr<Message> will;
  std::uint32_t will_delay_s = 0;
  std::optional<std::uint32_t> will_expiry_interval_s;
  std::optional<std::uint64_t> will_at_ms;
};

// One QoS 1 or 2 message on its way to a session: queued (packet_id 0), sent and awaiting
// PUBACK/PUBREC, or (awaiting_pubcomp) released and awaiting PUBCOMP, when only the packet
// identifier is left and `delivery.message` is null.
struct DeliveryRecord {
  std::string client_id;
  std::uint16_t packet_id = 0;
  bool awaiting_pubcomp = false;
  Delivery delivery;
};

std::vector<std::uint8_t> encode_session(const Session& session, const Clocks& clocks);
std::variant<SessionRecord, std::string> decode_session(std::span<const std::uint8_t> value,
                                                        const Clocks& clocks);

std::vector<std::uint8_t> encode_delivery(const DeliveryRecord& record, const Clocks& clocks);
std::variant<DeliveryRecord, std::string> decode_delivery(std::span<const std::uint8_t> value,
                                                          const Clocks& clocks);

std::vector<std::uint8_t> encode_retained(const Message& message, const Clocks& clocks);
std::variant<MessagePtr, std::string> decode_retained(std::span<const std::uint8_t> value,
                                                      const Clocks& clocks);

// A delivery's key: its sequence number, big-endian, so that the store's key order is the
// order messages were first queued in (section 4.6 ordering survives a restart).
std::vector<std::uint8_t> delivery_key(std::uint64_t sequence);
std::optional<std::uint64_t> delivery_sequence(std::span<const std::uint8_t> key);

}  // namespace attestmq::broker
