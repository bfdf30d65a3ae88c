#pragma once
// Which packets a host must hold back until the store's changes are durable (broker/store.hpp,
// the durability contract), for hosts that send the engine's bytes: the native server, and the
// Wasm guest which must say so to its runner because the runner sees only ciphertext.
#include <chrono>
#include <cstdint>
#include <span>

namespace attestmq::broker {

// How long the first change of a group commit may wait for others: long enough for a
// subscriber's PUBACK to cancel the message it acknowledges before anything is written.
// Hosts commit at once when no event is waiting, so an idle broker never waits it out.
inline constexpr std::chrono::microseconds kGroupCommit{500};

// Whether a packet the engine sends (one per Host::send) promises something a crash before
// the commit could break. A PUBACK, PUBREC or PUBCOMP does (the message or its packet
// identifier is stored, or released), and so does a QoS 2 PUBLISH (exactly once). A QoS 0 or 1
// PUBLISH does not: QoS 1 may be delivered again after a crash (MQTT 5.0 section 4.3.2).
inline bool promises_durability(std::span<const std::uint8_t> packet) {
  constexpr std::uint8_t kPublish = 3;
  if (packet.empty() || packet[0] >> 4 != kPublish) return true;
  return ((packet[0] >> 1) & 0x03) == 2;
}

}  // namespace attestmq::broker
