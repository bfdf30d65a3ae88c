#pragma once
// The one interface through which the sans-I/O engine reaches the outside world
// (DESIGN.md section 1). The native server and the Wasm runner each implement it.
#include <cstdint>
#include <span>
#include <string_view>

namespace attestmq::broker {

using ConnId = std::uint64_t;

enum class LogLevel : std::uint8_t { debug, info, notice, warning, error };

class Host {
 public:
  virtual ~Host() = default;

  // Queue bytes for the peer. Returns the number of bytes the host now holds unsent for
  // this connection, so the engine can apply Settings::max_client_output_bytes; once over it,
  // the engine stops sending publications until the host calls Engine::writable().
  virtual std::uint64_t send(ConnId conn, std::span<const std::uint8_t> bytes) = 0;

  // Flush what was queued, then close. The host calls Engine::closed() when it is gone.
  virtual void close(ConnId conn) = 0;

  // Monotonic milliseconds (keepalive, expiry, will delay) and wall-clock seconds since
  // the Unix epoch ($SYS).
  virtual std::uint64_t now_ms() = 0;
  virtual std::uint64_t wall_clock_s() = 0;

  // Fills `out` with cryptographically secure random bytes (assigned client identifiers).
  // False when the host has none to give (its entropy source failed): `out` must not be
  // used, and the engine refuses what needed it rather than wait.
  [[nodiscard]] virtual bool random(std::span<std::uint8_t> out) = 0;

  virtual void log(LogLevel level, std::string_view line) = 0;
};

}  // namespace attestmq::broker
