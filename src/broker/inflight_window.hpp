#pragma once
// A session's outgoing QoS 1/2 messages awaiting acknowledgement (MQTT 5.0 sections 4.3.2,
// 4.3.3, 4.9), kept in the order they were first sent because that is the order they are
// resent in (section 4.6). Acknowledgements mostly arrive in order, so lookups scan from the
// front; "is this packet id free" is a bitmap once the window is large enough to matter.
#include <cstdint>
#include <vector>

#include "broker/lazy_deque.hpp"
#include "broker/message.hpp"

namespace attestmq::broker {

// One message on its way to one session: the shared message plus what is particular to this
// subscriber (section 3.3.4: delivered QoS, retain flag, matching subscription identifiers).
struct Delivery {
  MessagePtr message;
  std::uint8_t qos = 0;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  std::uint64_t stored = 0;  // the sequence number of its record (persistence.cpp); 0: none
};

struct InflightMessage {
  std::uint16_t packet_id = 0;
  bool awaiting_pubcomp = false;  // QoS 2 after PUBREC: PUBREL is what gets resent
  // Sent on an earlier connection of the session and not yet resent on this one, because the
  // client's Receive Maximum had no room for it when the session resumed (delivery.cpp).
  bool awaiting_resend = false;
  Delivery delivery;
  std::uint64_t payload_bytes = 0;  // of the message, for max_inflight_bytes
};

class InflightWindow {
 public:
  using iterator = LazyDeque<InflightMessage>::iterator;

  std::size_t size() const { return entries_.size(); }
  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  InflightMessage& back() { return entries_.back(); }

  bool contains(std::uint16_t packet_id) const;
  iterator find(std::uint16_t packet_id);
  void push_back(InflightMessage message);
  iterator erase(iterator position);

 private:
  void mark(std::uint16_t packet_id, bool in_use);

  LazyDeque<InflightMessage> entries_;
  std::vector<std::uint64_t> in_use_;  // one bit per packet id; empty while the window is small
};

}  // namespace attestmq::broker
