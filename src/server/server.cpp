#include "server/server.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "attest/common/hex.hpp"
#include "attested/configuration_digest.hpp"
#include "attested/listener_attestation.hpp"
#include "attested/sealing.hpp"
#include "attest/provider/own_executable.hpp"
#include "server/evidence_refresher.hpp"
#include "server/listen_sockets.hpp"
#include "server/logger.hpp"
#include "server/open_file_limit.hpp"
#include "server/open_store.hpp"
#include "server/reactor.hpp"
#include "server/reactor_ids.hpp"
#include "server/serialized_provider.hpp"
#include "server/server_core.hpp"

namespace attestmq::server {
namespace {

// The attested-session host for `tee` (DESIGN.md section 4), or null for `none`.
std::variant<std::unique_ptr<attested::AttestedSessions>, std::string> make_attested_sessions(
    const config::BrokerConfig& config) {
  auto listeners = attested::attestation_listeners(config);
  if (auto* error = std::get_if<std::string>(&listeners)) return std::move(*error);
  if (config.tee == "none") return std::unique_ptr<attested::AttestedSessions>();
  std::string error;
  const auto module = attest::own_executable_sha256(error);
  if (!module) return "tee " + config.tee + ": " + error;
  attest::ProviderConfig provider_config;
  provider_config.kind = config.tee;
  provider_config.sim_key_file = config.tee_sim_key_file;
  // The sim TEE reports the broker's own measurement, as a real one would report the enclave's.
  provider_config.sim_measurement = *module;
  auto provider = attest::make_provider(provider_config, error);
  if (!provider) return "tee " + config.tee + ": " + error;
  auto sessions = attested::AttestedSessions::create(
      std::make_unique<SerializedProvider>(std::move(provider)),
      attest::Software{*module, attested::configuration_digest(config)},
      std::get<0>(std::move(listeners)), error);
  if (!sessions) return "tee " + config.tee + ": " + error;
  return sessions;
}

// Hands every stored record to the engine before any client can connect. The first record the
// engine refuses stops the start: a broker that skipped it would run on half its state.
std::optional<std::string> restore(ServerCore& core, store::SqliteStore& database,
                                   store::SealedStore* sealed) {
  const auto started = std::chrono::steady_clock::now();
  std::size_t counts[4] = {};
  auto refused = core.with_engine([&](broker::Engine& engine) -> std::optional<std::string> {
    const auto restore_record = [&](broker::RecordKind kind, std::span<const std::uint8_t> key,
                                    std::span<const std::uint8_t> value) {
      ++counts[static_cast<int>(kind)];
      return engine.restore(kind, key, value);
    };
    if (!sealed) return database.load(restore_record);
    if (auto error = database.load([&](broker::RecordKind kind, std::span<const std::uint8_t> name,
                                       std::span<const std::uint8_t> value) { return sealed->unseal(kind, name, value); }))
      return error;
    if (auto error = sealed->finish_unsealing(restore_record))
      return "persistence file " + database.path() + ": " + *error;
    return std::nullopt;
  });
  if (refused) {
    // Nothing of a refused start may reach the file: the database stays as it was found.
    database.discard();
    return *refused + "; refusing to start (move the file away to start empty)";
  }
  if (sealed) {
    // The new epoch must survive a power loss before the TEE's counter moves to it.
    if (auto error = database.commit_synced()) return *error;
    for (const std::string& notice : sealed->notices()) core.log(broker::LogLevel::notice, notice);
    if (auto error = sealed->confirm_epoch()) return "persistence: " + *error;
  }
  core.make_durable(true);  // what restoring dropped (retained messages that expired meanwhile)
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  core.log(broker::LogLevel::notice,
           "Restored " + std::to_string(counts[1]) + " sessions, " + std::to_string(counts[2]) +
               " queued or in-flight messages and " + std::to_string(counts[3]) + " retained messages from " +
               database.path() + (sealed ? " (sealed, epoch " + std::to_string(sealed->epoch()) + ")" : "") +
               " in " + std::to_string(took.count()) + " ms.");
  return std::nullopt;
}

}  // namespace

std::variant<std::unique_ptr<Server>, std::string> Server::create(const config::BrokerConfig& config) {
  const unsigned threads = reactor_threads(config.threads, std::thread::hardware_concurrency());
  const OpenFileLimit file_limit = raise_open_file_limit();
  // Cached attestation evidence is refreshed, and its failures logged, on a thread of its own.
  const bool refresher_logs = config.tee != "none" &&
      std::any_of(config.listeners.begin(), config.listeners.end(), attested::offers_cached_evidence);
  auto logger = Logger::open(config.log, threads > 1 || refresher_logs);
  if (auto* error = std::get_if<std::string>(&logger)) return std::move(*error);
  // The provider before the sockets: nobody can connect to a broker that is not ready to attest.
  auto attested = make_attested_sessions(config);
  if (auto* error = std::get_if<std::string>(&attested)) return std::move(*error);
  auto stored = open_store(config);
  if (auto* error = std::get_if<std::string>(&stored)) return std::move(*error);
  store::SqliteStore* persisting = std::get<0>(stored).get();
  attested::AttestedSessions* attesting = std::get<0>(attested).get();
  std::unique_ptr<store::SealedStore> sealed;
  if (persisting && attesting) {
    auto sealing = attested::seal_with(attesting->provider(), *persisting, attesting->software(), config.persistence);
    if (auto* error = std::get_if<std::string>(&sealing)) return std::move(*error);
    sealed = std::get<0>(std::move(sealing));
  }
  store::SealedStore* sealing = sealed.get();
  auto opened = open_listen_sockets(config.listeners);
  if (auto* error = std::get_if<std::string>(&opened)) return std::move(*error);
  auto& sockets = std::get<OpenedSockets>(opened);

  auto core = std::make_unique<ServerCore>(config, std::move(std::get<0>(logger)), threads,
                                           std::move(std::get<0>(attested)),
                                           std::move(std::get<0>(stored)), std::move(sealed));
  std::string tls_error;
  if (!core->tls_contexts().load(config.listeners, tls_error)) return tls_error;
  for (unsigned index = 0; index < threads; ++index) {
    auto reactor = Reactor::create(*core, index);
    if (auto* error = std::get_if<std::string>(&reactor)) return std::move(*error);
    core->reactors().push_back(std::move(std::get<0>(reactor)));
  }
  std::unique_ptr<Server> server(new Server(std::move(core), threads));
  server->log(broker::LogLevel::notice, config.settings.version_string + " starting");
  if (persisting) {
    if (auto error = restore(*server->core_, *persisting, sealing)) return std::move(*error);
  }
  server->log(file_limit.error.empty() ? broker::LogLevel::notice : broker::LogLevel::warning,
              describe(file_limit));

  if (attesting) {
    server->log(broker::LogLevel::notice, attesting->provider().description());
    server->log(broker::LogLevel::notice, "Module SHA-256 in every piece of evidence: " +
                                              attest::to_hex(attesting->software().module_sha256));
    for (const std::string& line : attested::attestation_notices(config, attesting->software())) {
      server->log(broker::LogLevel::notice, line);
    }
    server->refresher_ = std::make_unique<EvidenceRefresher>(
        *attesting, [core = server->core_.get()](broker::LogLevel level, std::string_view line) {
          core->log(level, line);
        });
  }
  if (config.local_only) {
    server->log(broker::LogLevel::notice,
                "Starting in local only mode. Connections will only be possible from clients "
                "running on this machine.");
  }
  for (const auto& listener : config.listeners) {
    if (listener.tls.keylog_file.empty()) continue;
    // The key log lets anyone who reads it decrypt this listener's traffic.
    server->log(broker::LogLevel::warning,
                "Warning: tls_keylog_file " + listener.tls.keylog_file + " (listener " +
                    listener.origin + ") records TLS session secrets: for debugging only.");
  }
  for (const auto& skipped : sockets.skipped) server->log(broker::LogLevel::notice, "Skipped " + skipped);
  for (const auto& socket : sockets.sockets) {
    server->addresses_.push_back({socket.listener, socket.ipv6, socket.address, socket.port});
    server->log(broker::LogLevel::notice, std::string("Opening ") + (socket.ipv6 ? "ipv6" : "ipv4") +
                                              " listen socket on " + socket.address + " port " +
                                              std::to_string(socket.port) + ".");
  }
  server->core_->reactors()[0]->add_listen_sockets(std::move(sockets.sockets));
  return server;
}

Server::Server(std::unique_ptr<ServerCore> core, unsigned threads)
    : core_(std::move(core)), threads_(threads) {}

Server::~Server() = default;

void Server::run() {
  const std::string version = core_->config().settings.version_string;
  log(broker::LogLevel::notice, version + " running (" + std::to_string(threads_) + " threads)");
  auto& reactors = core_->reactors();
  std::vector<std::thread> threads;
  for (std::size_t index = 1; index < reactors.size(); ++index) {
    threads.emplace_back([reactor = reactors[index].get()] { reactor->run(); });
  }
  reactors[0]->run();
  for (auto& thread : threads) thread.join();
  log(broker::LogLevel::notice, version + " terminating");
}

void Server::request_stop() {
  core_->stop_requested().store(true);
  core_->reactors()[0]->wake();
}

void Server::request_reload() {
  core_->reload_requested().store(true);
  core_->reactors()[0]->wake();
}

void Server::log(broker::LogLevel level, std::string_view line) { core_->log(level, line); }

broker::EngineStats Server::engine_stats() {
  return core_->with_engine([](broker::Engine& engine) { return engine.stats(); });
}

}  // namespace attestmq::server
