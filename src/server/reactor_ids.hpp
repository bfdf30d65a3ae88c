#pragma once
// How many reactors a server runs and how a connection id names the one that owns it. A
// connection id carries its owning reactor in the low kReactorBits bits, so routing a send
// to the right reactor needs no table; the rest is a sequence number.
#include <algorithm>
#include <cstdint>

#include "broker/host.hpp"

namespace attestmq::server {

inline constexpr unsigned kReactorBits = 8;
// The most reactors the id field can name; the `threads` option accepts no more.
inline constexpr unsigned kMaxReactors = 1u << kReactorBits;

inline broker::ConnId connection_id(std::uint64_t sequence, unsigned reactor) {
  return (sequence << kReactorBits) | reactor;
}

inline unsigned reactor_of(broker::ConnId conn) { return conn & (kMaxReactors - 1); }

// `threads N` as configured, where 0 means one per core. `hardware_concurrency` is what
// std::thread reports: 0 when unknown (then one thread), and capped at kMaxReactors on
// machines with more cores, since ids could not name the extra reactors.
inline unsigned reactor_threads(unsigned configured, unsigned hardware_concurrency) {
  const unsigned wanted = configured != 0 ? configured : hardware_concurrency;
  return std::clamp(wanted, 1u, kMaxReactors);
}

}  // namespace attestmq::server
