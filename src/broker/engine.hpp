#pragma once
// The broker engine: a sans-I/O state machine fed with connection events and bytes, that
// answers through Host. Single-threaded; never throws across this boundary.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/attested_client.hpp"

#include "broker/host.hpp"
#include "broker/settings.hpp"
#include "mqtt/reason_code.hpp"

namespace attestmq::broker {

struct ConnectionInfo {
  std::uint32_t listener = 0;  // index into Settings::listeners
  std::string peer;            // "address:port", for logs
  // Set by a TLS listener that takes the username from the transport (use_identity_as_username,
  // use_subject_as_username): the client's username, already authenticated by its certificate
  // or pre-shared key. It replaces whatever username CONNECT carries, and no password is
  // checked.
  std::optional<std::string> transport_username;
};

struct EngineStats {
  std::uint64_t clients_connected = 0;
  std::uint64_t clients_total = 0;  // sessions known, connected or not
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t subscriptions = 0;
  std::uint64_t retained_messages = 0;
  std::uint64_t messages_dropped = 0;
};

// The host's answer to one Host::authentication_step (MQTT 5.0 section 4.12).
struct AuthenticationOutcome {
  enum class Kind : std::uint8_t {
    continue_with,  // send AUTH 0x18 with `data`, and pass the client's reply on
    success,        // the exchange succeeded: CONNACK 0x00 (or AUTH 0x00 after re-authentication)
    failure,        // refuse with `code` (CONNACK, or DISCONNECT after CONNACK) and `reason`
  };
  Kind kind = Kind::failure;
  std::vector<std::uint8_t> data;
  mqtt::ReasonCode code = mqtt::ReasonCode::NotAuthorized;
  std::string reason;  // for the log line and the Reason String
  // continue_with: handed back as AuthenticationStep::context with the client's reply.
  std::vector<std::uint8_t> context;
  // success: what the client proved about itself (mutual attestation), for acl_file rules;
  // nullopt when it proved nothing.
  std::optional<AttestedClaims> attested;
};

class Engine {
 public:
  Engine(Host& host, Settings settings);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A transport connection was accepted.
  void open(ConnId conn, const ConnectionInfo& info);
  // Bytes arrived from the peer (any split: partial packets are buffered).
  void input(ConnId conn, std::span<const std::uint8_t> bytes);
  // The host's backlog for conn fell below half of max_client_output_bytes.
  void writable(ConnId conn);
  // The transport is gone (peer closed, error, or after Host::close()).
  void closed(ConnId conn);
  // The outcome of the Host::check_password() asked for conn; ignored if conn is gone.
  void password_checked(ConnId conn, PasswordVerdict verdict);
  // The outcome of the Host::authentication_step() asked for conn; ignored if conn is gone.
  void authentication_answered(ConnId conn, AuthenticationOutcome outcome);
  // Timers: keepalive, message and session expiry, will delay, $SYS. Call at least every
  // next_tick_ms() milliseconds.
  void tick();
  std::uint64_t next_tick_ms() const;
  // Graceful shutdown: DISCONNECT 0x8B to 5.0 clients, then close every connection.
  void shutdown();
  // Replaces Settings::listeners, one policy per listener as at construction (a different
  // count is refused and logged): the password and ACL files were read again. New CONNECTs
  // are checked against the new passwords; every session, connected or not, keeps going and
  // gets the new ACL rules for its next publish, subscribe and delivery. Connected clients
  // are not authenticated again.
  void update_listener_policies(std::vector<ListenerPolicy> policies);

  // Before the first open(): one record of the host's Store, handed back in RecordKind order
  // and, within a kind, in key order. Returns what is wrong with it; the host must then refuse
  // to start rather than skip the record, so that no state is ever half-loaded.
  std::optional<std::string> restore(RecordKind kind, std::span<const std::uint8_t> key,
                                     std::span<const std::uint8_t> value);

  EngineStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attestmq::broker
