#pragma once
// What the reactors of one server share: the engine behind its lock, the outboxes of all
// connections, the logger, and the Host implementation the engine calls back into.
//
// Threading: the engine is single-threaded, so every Engine call and every Host call it
// makes happen under `engine_mutex` (a no-op with one reactor). A connection's socket is
// touched only by the reactor that owns it; Host::send for a connection owned by another
// reactor appends to that connection's Outbox (its own lock) and asks the owner, through
// the owner's mailbox and eventfd, to flush it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "broker/engine.hpp"
#include "broker/host.hpp"
#include "config/broker_config.hpp"
#include "attested/attested_sessions.hpp"
#include "server/logger.hpp"
#include "server/optional_mutex.hpp"
#include "server/outbox.hpp"
#include "server/password_workers.hpp"
#include "server/reactor_ids.hpp"
#include "server/tls_contexts.hpp"
#include "store/sealed_store.hpp"
#include "store/sqlite_store.hpp"

namespace attestmq::server {

class Reactor;

class ServerCore final : public broker::Host {
 public:
  // `attested`: the attested-session host when a TEE provider is configured, else null.
  // `store`: the persistence database when `persistence` is on, else null. `sealed`: under a
  // TEE provider, what seals the engine's records on their way to `store` (the engine's store).
  ServerCore(const config::BrokerConfig& config, std::unique_ptr<Logger> logger, unsigned threads,
             std::unique_ptr<attested::AttestedSessions> attested,
             std::unique_ptr<store::SqliteStore> store, std::unique_ptr<store::SealedStore> sealed);
  ~ServerCore() override;

  // Runs `action(engine)` with the engine lock held.
  template <typename Action>
  auto with_engine(Action&& action) {
    std::lock_guard lock(engine_mutex_);
    return action(*engine_);
  }

  // Under the engine lock: the connection's outbox becomes reachable by Host::send.
  void register_outbox(broker::ConnId conn, std::shared_ptr<Outbox> outbox);
  void unregister_outbox(broker::ConnId conn);

  std::uint64_t now_ms() override;
  std::uint64_t wall_clock_s() override;
  bool random(std::span<std::uint8_t> out) override;
  void log(broker::LogLevel level, std::string_view line) override;
  void check_password(broker::ConnId conn, broker::PasswordCheck check) override;
  void authentication_step(broker::ConnId conn, broker::AuthenticationStep step) override;
  // Null without a TEE provider: no listener then offers an authentication method.
  attested::AttestedSessions* attested_sessions() { return attested_.get(); }
  std::uint64_t send(broker::ConnId conn, std::span<const std::uint8_t> bytes) override;
  void close(broker::ConnId conn) override;
  broker::Store* store() override {
    return sealed_ ? static_cast<broker::Store*>(sealed_.get()) : store_.get();
  }

  // Any reactor, once per turn of its loop and before it writes: commits the engine's pending
  // changes once the oldest is kGroupCommit old, or at once with `now` (group commit), then
  // lets out the output held back until they were durable. A commit that fails ends the
  // process: nothing unsaved may be acknowledged after it.
  void make_durable(bool now = false);
  // Changes are waiting for a commit, or output for one that is no longer needed.
  bool commit_pending();

  // Logs the concatenation of `parts`, building it only if the level is enabled.
  template <typename... Parts>
  void log_parts(broker::LogLevel level, const Parts&... parts) {
    if (!logger_->enabled(level)) return;
    std::string line;
    (line.append(parts), ...);
    logger_->log(level, line);
  }

  const config::BrokerConfig& config() const { return config_; }
  bool threaded() const { return threaded_; }
  std::uint64_t output_soft_limit() const { return config_.settings.max_client_output_bytes; }
  // The hard cap on Outbox::excess: with the soft limit and one packet in flight, a client's
  // backlog stays below about 4x max_client_output_bytes plus its largest packet.
  std::uint64_t output_excess_limit() const { return 3 * output_soft_limit(); }

  std::vector<std::unique_ptr<Reactor>>& reactors() { return reactors_; }
  // Connections currently open per listener, for max_connections.
  std::atomic<std::int32_t>& connection_count(std::uint32_t listener) { return connection_counts_[listener]; }
  std::atomic<bool>& stop_requested() { return stop_requested_; }
  // SIGHUP asks reactor 0 to reload().
  std::atomic<bool>& reload_requested() { return reload_requested_; }

  TlsContexts& tls_contexts() { return tls_contexts_; }
  // Reads every security file named by the configuration again, then rebuilds the TLS
  // contexts and the listeners' policies from what it read. A file that cannot be read or
  // parsed, or (with attestation) rules that no longer match the attested configuration
  // digest, keep the previous state and are logged.
  void reload();

 private:
  const config::BrokerConfig config_;
  const bool threaded_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<attested::AttestedSessions> attested_;
  OptionalMutex engine_mutex_;
  std::unordered_map<broker::ConnId, std::shared_ptr<Outbox>> outboxes_;  // engine lock
  std::vector<std::unique_ptr<Reactor>> reactors_;
  // Started at the first password check; gone before the reactors it delivers to.
  std::unique_ptr<PasswordWorkers> password_workers_;
  std::unique_ptr<std::atomic<std::int32_t>[]> connection_counts_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  TlsContexts tls_contexts_;
  // Under the engine lock, with a store: changes the database has not committed yet.
  bool changes_pending() const;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<store::SealedStore> sealed_;  // over store_
  std::vector<broker::ConnId> holding_;  // engine lock: connections with Outbox::held bytes
  // Last: built once everything it may call back into exists, and gone before it is.
  std::unique_ptr<broker::Engine> engine_;
};

}  // namespace attestmq::server
