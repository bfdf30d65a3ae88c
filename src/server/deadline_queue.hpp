#pragma once
// Per-connection deadlines that are always a fixed delay after "now" when added, so a deque
// kept in insertion order is already sorted by due time: adding and expiring are O(1).
#include <cstdint>
#include <deque>

#include "broker/host.hpp"

namespace attestmq::server {

class DeadlineQueue {
 public:
  void add(broker::ConnId conn, std::uint64_t at_ms) { deadlines_.push_back({at_ms, conn}); }

  // Calls expired(conn) for every deadline due by now_ms, oldest first (the connection may
  // be gone or past that stage: expired checks). Returns the milliseconds until the next
  // deadline, or -1 when none is pending, as epoll_wait's timeout.
  template <typename Expired>
  int expire(std::uint64_t now_ms, Expired&& expired) {
    while (!deadlines_.empty()) {
      const Deadline next = deadlines_.front();
      if (next.at_ms > now_ms) return static_cast<int>(next.at_ms - now_ms);
      deadlines_.pop_front();
      expired(next.conn);
    }
    return -1;
  }

 private:
  struct Deadline {
    std::uint64_t at_ms;
    broker::ConnId conn;
  };
  std::deque<Deadline> deadlines_;
};

}  // namespace attestmq::server
