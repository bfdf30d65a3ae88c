#pragma once
// The output side of one connection as every thread sees it. Host::send (on whichever
// reactor thread holds the engine) appends here; only the reactor that owns the connection
// moves the bytes to its socket. Everything below is guarded by `mutex`.
#include <cstdint>
#include <vector>

#include "server/optional_mutex.hpp"

namespace attestmq::server {

struct Outbox {
  explicit Outbox(bool threaded) : mutex(threaded) {}

  OptionalMutex mutex;
  std::vector<std::uint8_t> staged;   // sent by the engine, not yet taken by the owner
  std::uint64_t socket_backlog = 0;   // taken by the owner, not yet accepted by the kernel
  bool flush_scheduled = false;       // the owner has been asked to flush
  bool close_requested = false;       // Host::close: flush what is there, then close
  bool throttled = false;             // passed max_client_output_bytes: Engine::writable owed
  // Bytes the engine queued while throttled. It stops publishing then, so only
  // acknowledgements and the like should come; a client whose excess still grows past
  // ServerCore::output_excess_limit() is not reading at all and is dropped.
  std::uint64_t excess = 0;
  // With persistence: bytes (and a close) the engine sent while its store had changes not yet
  // committed. They reach `staged` only after the commit (ServerCore::make_durable), so no
  // acknowledgement leaves before what it promises is durable (broker/store.hpp).
  std::vector<std::uint8_t> held;
  bool close_held = false;
  bool holding = false;

  std::uint64_t backlog() const { return socket_backlog + staged.size() + held.size(); }
};

}  // namespace attestmq::server
