#pragma once
// The one interface through which the sans-I/O engine reaches the outside world
// (DESIGN.md section 1). The native server and the Wasm runner each implement it.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/store.hpp"

namespace attestmq::broker {

using ConnId = std::uint64_t;

class Credentials;  // settings.hpp: a password_file

// MQTT 5.0 section 4.12: one step of an enhanced authentication exchange, for the host to
// answer with Engine::authentication_answered().
struct AuthenticationStep {
  std::string method;               // the Authentication Method the exchange uses
  std::vector<std::uint8_t> data;   // Authentication Data of CONNECT, AUTH 0x18 or AUTH 0x19
  bool starts_exchange = false;     // CONNECT or AUTH 0x19: a new exchange begins
  bool reauthentication = false;    // after CONNACK (AUTH 0x19 and what follows it)
  std::uint32_t listener = 0;       // the connection's listener (Settings::listeners index)
  // CONNECT's password was verified against the password_file, or the transport named the
  // user (use_identity_as_username): docs/attestation.md section 7.4 step 3.
  bool password_authenticated = false;
  // What the host's previous outcome in this exchange asked to keep
  // (AuthenticationOutcome::context), so that a method needs no state of its own per
  // connection; empty when an exchange starts.
  std::vector<std::uint8_t> context;
};

// What the host found when it verified a password (Host::check_password).
enum class PasswordVerdict : std::uint8_t {
  valid,
  invalid,      // unknown user or wrong password
  unavailable,  // not checked: the host's queue of checks is full (a flood of logins)
};

// A username and password from CONNECT to verify against a password_file.
struct PasswordCheck {
  std::shared_ptr<const Credentials> passwords;
  std::string username;
  std::string password;
};

enum class LogLevel : std::uint8_t { debug, info, notice, warning, error };

class Host {
 public:
  virtual ~Host() = default;

  // Queue bytes for the peer: one whole packet per call. Returns the number of bytes the host now holds unsent for
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

  // Verify a CONNECT's password. The hash is slow on purpose (PBKDF2 with many iterations), so
  // the engine does not wait for it: the host verifies away from the engine (a worker thread,
  // or after the current engine call) and reports with Engine::password_checked(), never from
  // inside this call. Meanwhile no other client waits for this one's hash.
  virtual void check_password(ConnId conn, PasswordCheck check) = 0;

  // An enhanced authentication step (MQTT 5.0 section 4.12) for a method the listener offers
  // (ListenerPolicy::authentication_methods): the host runs the method and answers with
  // Engine::authentication_answered(), never from inside this call, as for passwords.
  virtual void authentication_step(ConnId conn, AuthenticationStep step) = 0;

  // Durable storage for the engine's state, kept to store.hpp's contract; null when this host
  // keeps none (persistence off), and then the engine keeps everything in memory only. Asked
  // once, when the engine is made.
  virtual Store* store() { return nullptr; }
};

}  // namespace attestmq::broker
