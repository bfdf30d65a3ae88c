#pragma once
// The broker inside the module: the engine, a tls::Session per connection on a TLS listener,
// and the password checks, behind the host interface of host_imports.hpp. Single-threaded;
// the exports (exports.cpp) are its only callers. TLS ends here: the runner only ever moves
// ciphertext, and every trust decision (certificates, passwords, ACLs) is taken in here.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attest/common/verification.hpp"
#include "attested/attested_sessions.hpp"
#include "broker/engine.hpp"
#include "broker/host.hpp"
#include "config/broker_config.hpp"
#include "store/sealed_store.hpp"
#include "tls/context.hpp"
#include "tls/session.hpp"

namespace attestmq::wasm::guest {

class GuestBroker final : public broker::Host {
 public:
  // What the runner says of the TEE beneath it, at configure.
  struct Tee {
    std::optional<attest::EvidenceType> evidence_type;  // none: no provider
    std::array<std::uint8_t, 32> module_sha256{};       // of this module, measured at build time
    bool has_counter = false;                           // the provider has a monotonic counter
  };

  // Everything the configuration names is read here, through the runner's read-only WASI
  // files. Null and `error` when it cannot start.
  static std::unique_ptr<GuestBroker> create(config::BrokerConfig config, const Tee& tee,
                                             std::string& error);
  ~GuestBroker() override;

  // The engine ABI (exports.cpp). Connection ids are the runner's.
  void open(std::uint32_t conn, std::uint32_t listener, std::string peer);
  void input(std::uint32_t conn, std::span<const std::uint8_t> bytes);
  void writable(std::uint32_t conn);
  void closed(std::uint32_t conn);
  // Runs the timers; returns the milliseconds until the next call is due.
  std::uint64_t tick();
  // SIGHUP: reads the security files again (attested/reload.hpp), logging the outcome.
  void reload();
  void shutdown();
  // Persistence at start (guest_persistence.cpp): each sealed record of the runner's database,
  // then the end, which restores the engine and starts a new epoch. False: refused, logged.
  bool restore_record(std::uint32_t kind, std::span<const std::uint8_t> name, std::span<const std::uint8_t> sealed);
  bool finish_restore();
  // Group commit (the runner decides when): microseconds since the oldest change not yet
  // sealed, or UINT64_MAX when there is none; then seal them all into the runner's store.
  std::uint64_t store_pending_us() const;
  void flush_store();

  // broker::Host.
  std::uint64_t send(broker::ConnId conn, std::span<const std::uint8_t> bytes) override;
  void close(broker::ConnId conn) override;
  std::uint64_t now_ms() override;
  std::uint64_t wall_clock_s() override;
  bool random(std::span<std::uint8_t> out) override;
  void log(broker::LogLevel level, std::string_view line) override;
  void check_password(broker::ConnId conn, broker::PasswordCheck check) override;
  void authentication_step(broker::ConnId conn, broker::AuthenticationStep step) override;
  broker::Store* store() override { return sealed_.get(); }

 private:
  struct Connection {
    std::uint32_t listener = 0;
    std::string peer;  // "ADDRESS:PORT", for log lines
    std::unique_ptr<tls::Session> tls;  // on a TLS listener
    bool engine_open = false;  // Engine::open done, Engine::closed not yet
    bool closing = false;      // Host::close asked the runner to close it
    std::uint64_t handshake_deadline_ms = 0;  // TLS, before Engine::open; 0: none
    std::vector<std::uint8_t> unencrypted;  // TLS: what the engine sent during this call
    std::uint64_t host_backlog = 0;         // TLS: what the runner last said it holds
    bool engine_waits = false;  // TLS: send answered over the limit; writable is owed
    bool hold_unencrypted = false;  // TLS: `unencrypted` promises what must be durable first
  };

  explicit GuestBroker(config::BrokerConfig config);
  // Each listener's server context (null for a plain listener), or false and `error`.
  bool build_tls_contexts(const std::vector<config::ListenerConfig>& listeners,
                          std::vector<std::shared_ptr<const tls::Context>>& contexts,
                          std::string& error) const;
  void receive_tls(broker::ConnId conn, Connection& connection, std::span<const std::uint8_t> ciphertext);
  void open_in_engine(broker::ConnId conn, Connection& connection, std::optional<std::string> username);
  void send_ciphertext(broker::ConnId conn);
  // TLS: encrypts what the engine sent on `conn` and hands the records to the runner.
  void encrypt(broker::ConnId conn, Connection& connection);
  void encrypt_pending();
  void refuse(broker::ConnId conn, Connection& connection);
  // Host calls the engine must not see answered from inside its own call (host.hpp), then
  // the encryption of what it sent: run once each export's engine call has returned.
  void answer_deferred();
  std::uint64_t expire_handshakes();
  // Refreshes the cached evidence that is due; milliseconds until the next refresh.
  std::uint64_t refresh_evidence();

  const config::BrokerConfig config_;
  // With a TEE provider; before the TLS contexts, whose transport A callbacks point to it.
  std::unique_ptr<attested::AttestedSessions> attested_;
  std::vector<std::shared_ptr<const tls::Context>> tls_contexts_;  // by listener; null: plain
  std::unordered_map<broker::ConnId, Connection> connections_;
  std::vector<std::pair<broker::ConnId, broker::PasswordCheck>> password_checks_;
  std::vector<std::pair<broker::ConnId, broker::AuthenticationStep>> authentication_steps_;
  std::vector<broker::ConnId> encrypt_queue_;  // TLS connections with unencrypted output
  std::vector<std::uint8_t> plaintext_;  // scratch: decrypted input
  std::vector<std::uint8_t> ciphertext_;  // scratch: records for the runner to send
  // With persistence: the runner's database, and the sealing in front of it (the engine's store).
  std::unique_ptr<broker::Store> host_store_;
  std::unique_ptr<store::SealedStore> sealed_;
  std::string restore_error_;  // the first record refused at start
  std::unique_ptr<broker::Engine> engine_;  // last: it calls back into the members above
};

}  // namespace attestmq::wasm::guest
