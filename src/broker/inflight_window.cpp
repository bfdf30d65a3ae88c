#include "broker/inflight_window.hpp"

#include <algorithm>

namespace attestmq::broker {

namespace {

// Below this many messages in flight a linear scan beats keeping an 8 KiB bitmap.
constexpr std::size_t kBitmapFrom = 32;
constexpr std::size_t kBitmapWords = 65536 / 64;

}  // namespace

bool InflightWindow::contains(std::uint16_t packet_id) const {
  if (!in_use_.empty()) return (in_use_[packet_id / 64] >> (packet_id % 64)) & 1u;
  return std::any_of(entries_.begin(), entries_.end(),
                     [packet_id](const InflightMessage& m) { return m.packet_id == packet_id; });
}

InflightWindow::iterator InflightWindow::find(std::uint16_t packet_id) {
  if (!in_use_.empty() && !contains(packet_id)) return entries_.end();
  return std::find_if(entries_.begin(), entries_.end(),
                      [packet_id](const InflightMessage& m) { return m.packet_id == packet_id; });
}

void InflightWindow::push_back(InflightMessage message) {
  entries_.push_back(std::move(message));
  if (in_use_.empty() && entries_.size() >= kBitmapFrom) {
    in_use_.assign(kBitmapWords, 0);
    for (const InflightMessage& m : entries_) mark(m.packet_id, true);
  } else if (!in_use_.empty()) {
    mark(entries_.back().packet_id, true);
  }
}

InflightWindow::iterator InflightWindow::erase(iterator position) {
  if (!in_use_.empty()) mark(position->packet_id, false);
  return entries_.erase(position);
}

void InflightWindow::mark(std::uint16_t packet_id, bool in_use) {
  const std::uint64_t bit = std::uint64_t{1} << (packet_id % 64);
  if (in_use)
    in_use_[packet_id / 64] |= bit;
  else
    in_use_[packet_id / 64] &= ~bit;
}

}  // namespace attestmq::broker
