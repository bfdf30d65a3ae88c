#include "wasm/guest/guest_broker.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "attested/configuration_digest.hpp"
#include "attested/listener_attestation.hpp"
#include "attested/reload.hpp"
#include "attested/sealing.hpp"
#include "broker/durability.hpp"
#include "config/transport_username.hpp"
#include "wasm/guest/host_provider.hpp"
#include "wasm/guest/host_imports.hpp"
#include "wasm/guest/host_store.hpp"

namespace attestmq::wasm::guest {

using broker::ConnId;
using broker::LogLevel;
using tls::Session;

namespace {

// OpenSSL built without assembly has only table-based AES, which is slow and leaks key bits
// through cache timing: the threat a TEE exists to resist. ChaCha20-Poly1305 is constant
// time in portable C, so the module prefers it to whatever the client lists first, unless
// the listener names its own suites (docs/security.md, "Cryptography in the module").
tls::ServerTlsOptions constant_time_first(tls::ServerTlsOptions options) {
  if (options.ciphers_tls13.empty()) {
    options.ciphers_tls13 = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256";
    options.prefer_server_ciphers = true;
  }
  return options;
}

}  // namespace

std::unique_ptr<GuestBroker> GuestBroker::create(config::BrokerConfig config, const Tee& tee,
                                                 std::string& error) {
  auto attestation = attested::attestation_listeners(config);
  if (auto* listeners_error = std::get_if<std::string>(&attestation)) {
    error = std::move(*listeners_error);
    return nullptr;
  }
  std::unique_ptr<GuestBroker> broker(new GuestBroker(std::move(config)));
  const config::BrokerConfig& settings = broker->config_;
  // The provider is the runner's (--tee); the module only learns what evidence it makes.
  if (settings.tee != "none") {
    if (!tee.evidence_type) {
      error = "tee " + settings.tee + ": the runner offers no evidence";
      return nullptr;
    }
    broker->attested_ = attested::AttestedSessions::create(
        std::make_unique<HostProvider>(*tee.evidence_type, tee.has_counter),
        attest::Software{tee.module_sha256, attested::configuration_digest(settings)},
        std::get<0>(std::move(attestation)), error);
    if (!broker->attested_) {
      error = "tee " + settings.tee + ": " + error;
      return nullptr;
    }
  }
  if (!broker->build_tls_contexts(settings.listeners, broker->tls_contexts_, error)) return nullptr;
  // Before the engine, which takes its store once. No record leaves the module unsealed.
  if (settings.persistence.enabled) {
    if (!broker->attested_) {
      error = "persistence: the module seals its records with the TEE's key: start it with --tee";
      return nullptr;
    }
    broker->host_store_ = std::make_unique<HostStore>();
    auto sealing = attested::seal_with(broker->attested_->provider(), *broker->host_store_,
                                       broker->attested_->software(), settings.persistence);
    if (auto* sealing_error = std::get_if<std::string>(&sealing)) {
      error = std::move(*sealing_error);
      return nullptr;
    }
    broker->sealed_ = std::get<0>(std::move(sealing));
  }
  broker->engine_ = std::make_unique<broker::Engine>(
      *broker, attested::engine_settings(settings, broker->attested_ != nullptr));
  if (broker->attested_) {
    for (const std::string& line : attested::attestation_notices(settings, broker->attested_->software())) broker->log(LogLevel::notice, line);
  }
  return broker;
}

GuestBroker::GuestBroker(config::BrokerConfig config) : config_(std::move(config)) {}

bool GuestBroker::build_tls_contexts(const std::vector<config::ListenerConfig>& listeners,
                                     std::vector<std::shared_ptr<const tls::Context>>& contexts,
                                     std::string& error) const {
  contexts.assign(listeners.size(), nullptr);
  for (std::size_t index = 0; index < listeners.size(); ++index) {
    const config::ListenerConfig& listener = listeners[index];
    std::string context_error;
    auto handshake = attested::handshake_attestation(listener, attested_.get(), context_error);
    if (!context_error.empty()) {
      error = "listener " + listener.origin + ": " + context_error;
      return false;
    }
    if (!listener.tls.enabled()) continue;
    if (!listener.tls.keylog_file.empty()) {
      error = "listener " + listener.origin + ": tls_keylog_file would write the TLS session secrets "
              "outside the module: refused in the enclave";
      return false;
    }
    contexts[index] =
        tls::Context::server(constant_time_first(listener.tls), context_error, std::move(handshake));
    if (!contexts[index]) {
      error = "listener " + listener.origin + ": " + context_error;
      return false;
    }
  }
  return true;
}

// As the native server's ServerCore::reload: one read of the files, then the TLS contexts
// (open sessions keep theirs) and the engine's policies.
void GuestBroker::reload() {
  auto reread = attested::reread_security_files(config_, attested_.get());
  if (const auto* refused = std::get_if<std::string>(&reread)) {
    log(LogLevel::error, *refused);
    return;
  }
  auto& config = std::get<config::BrokerConfig>(reread);
  if (const auto reloaded = attested::tls_reloaded_line(config)) {
    std::vector<std::shared_ptr<const tls::Context>> contexts;
    std::string error;
    if (build_tls_contexts(config.listeners, contexts, error)) {
      tls_contexts_ = std::move(contexts);
      log(LogLevel::notice, *reloaded);
    } else {
      log(LogLevel::error, attested::tls_reload_failed_line(error));
    }
  }
  if (const auto reloaded = attested::security_files_reloaded_line(config)) {
    engine_->update_listener_policies(
        attested::engine_policies(std::move(config.settings.listeners), config_, attested_ != nullptr));
    answer_deferred();
    log(LogLevel::notice, *reloaded);
  }
}

GuestBroker::~GuestBroker() = default;

void GuestBroker::open(std::uint32_t conn, std::uint32_t listener, std::string peer) {
  if (connections_.contains(conn) || listener >= tls_contexts_.size()) {
    // The runner's ids are its own, but a second open of one id, or an unknown listener,
    // means it is confused or hostile: refuse the connection rather than mix two.
    log(LogLevel::warning, "runner opened connection " + std::to_string(conn) + " on listener " +
                               std::to_string(listener) + ", which is not valid: closing it");
    attestmq_host_close(conn);
    return;
  }
  Connection& connection = connections_[conn];
  connection.listener = listener;
  connection.peer = std::move(peer);
  if (const auto& context = tls_contexts_[listener]) {
    connection.tls = std::make_unique<Session>(context);
    // The engine's connect timeout starts at Engine::open; the handshake before it has its own.
    const std::uint32_t timeout = config_.settings.connect_timeout_ms;
    if (timeout != 0) connection.handshake_deadline_ms = now_ms() + timeout;
    return;
  }
  open_in_engine(conn, connection, std::nullopt);
}

void GuestBroker::open_in_engine(ConnId conn, Connection& connection, std::optional<std::string> username) {
  broker::ConnectionInfo info;
  info.listener = connection.listener;
  info.peer = connection.peer;
  info.transport_username = std::move(username);
  connection.engine_open = true;
  connection.handshake_deadline_ms = 0;
  engine_->open(conn, info);
  answer_deferred();
}

void GuestBroker::input(std::uint32_t conn, std::span<const std::uint8_t> bytes) {
  const auto it = connections_.find(conn);
  if (it == connections_.end() || it->second.closing) return;
  if (it->second.tls) return receive_tls(conn, it->second, bytes);
  engine_->input(conn, bytes);
  answer_deferred();
}

void GuestBroker::receive_tls(ConnId conn, Connection& connection, std::span<const std::uint8_t> ciphertext) {
  Session& session = *connection.tls;
  plaintext_.clear();
  ciphertext_.clear();
  const Session::State state = session.receive(ciphertext, plaintext_, ciphertext_);
  send_ciphertext(conn);
  if (state == Session::State::failed) {
    log(LogLevel::notice, "Client " + connection.peer +
                              (connection.engine_open ? " TLS error: " : " TLS handshake failed: ") +
                              session.error());
    return refuse(conn, connection);
  }
  if (session.take_handshake_completed()) {
    const tls::PeerIdentity& peer = session.peer();
    log(LogLevel::debug, "Client " + connection.peer + " TLS handshake completed (" + peer.protocol +
                             ", " + peer.cipher + ").");
    config::TransportUsername username =
        config::transport_username(config_.listeners[connection.listener].tls, peer);
    if (!username.refusal.empty()) {
      log(LogLevel::notice, "Client " + connection.peer + " refused: " + username.refusal + ".");
      return refuse(conn, connection);
    }
    open_in_engine(conn, connection, std::move(username.username));
  }
  if (!plaintext_.empty() && connection.engine_open) {
    engine_->input(conn, plaintext_);
    answer_deferred();
  }
  // The peer's close_notify: like a TCP EOF, after the data that preceded it.
  if (state == Session::State::closed) close(conn);
}

void GuestBroker::refuse(ConnId conn, Connection& connection) {
  if (connection.engine_open) return close(conn);
  connection.closing = true;
  attestmq_host_close(static_cast<std::uint32_t>(conn));
}

void GuestBroker::encrypt(ConnId conn, Connection& connection) {
  if (connection.unencrypted.empty()) return;
  if (std::exchange(connection.hold_unencrypted, false)) attestmq_host_hold(static_cast<std::uint32_t>(conn));
  ciphertext_.clear();
  if (connection.tls->send(connection.unencrypted, ciphertext_)) {
    connection.host_backlog = attestmq_host_send(static_cast<std::uint32_t>(conn), ciphertext_.data(),
                                                 static_cast<std::uint32_t>(ciphertext_.size()));
  }
  ciphertext_.clear();
  connection.unencrypted.clear();
}

// Encrypts what the engine sent. A connection whose engine waits (send answered over the
// limit, counting bytes not yet encrypted) gets Engine::writable from the runner only if the
// runner's own backlog went over the limit; otherwise the runner never saw it and will not
// ask, so the engine gets it now.
void GuestBroker::encrypt_pending() {
  const std::vector<ConnId> queue = std::move(encrypt_queue_);
  encrypt_queue_.clear();
  for (const ConnId conn : queue) {
    const auto it = connections_.find(conn);
    if (it == connections_.end()) continue;
    Connection& connection = it->second;
    encrypt(conn, connection);
    if (connection.engine_waits && connection.host_backlog <= config_.settings.max_client_output_bytes) {
      connection.engine_waits = false;
      engine_->writable(conn);
    }
  }
}

void GuestBroker::send_ciphertext(ConnId conn) {
  if (ciphertext_.empty()) return;
  attestmq_host_send(static_cast<std::uint32_t>(conn), ciphertext_.data(),
                     static_cast<std::uint32_t>(ciphertext_.size()));
  ciphertext_.clear();
}

void GuestBroker::writable(std::uint32_t conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end() || !it->second.engine_open) return;
  // The runner's backlog fell below half the limit: what it said before no longer holds.
  it->second.host_backlog = 0;
  it->second.engine_waits = false;
  engine_->writable(conn);
  answer_deferred();
}

void GuestBroker::closed(std::uint32_t conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  const bool engine_open = it->second.engine_open;
  connections_.erase(it);
  std::erase_if(password_checks_, [conn](const auto& pending) { return pending.first == conn; });
  std::erase_if(authentication_steps_, [conn](const auto& pending) { return pending.first == conn; });
  if (engine_open) engine_->closed(conn);
  answer_deferred();
}

std::uint64_t GuestBroker::tick() {
  engine_->tick();
  answer_deferred();
  return std::min({engine_->next_tick_ms(), expire_handshakes(), refresh_evidence()});
}

std::uint64_t GuestBroker::refresh_evidence() {
  if (!attested_) return UINT64_MAX;
  const auto now = std::chrono::steady_clock::now();
  const auto due = attested_->refresh_due(now, [this](LogLevel level, std::string_view line) {
    log(level, line);
  });
  if (!due) return UINT64_MAX;
  return static_cast<std::uint64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(std::max(*due - now, std::chrono::steady_clock::duration{}))
          .count());
}

// Closes the connections whose TLS handshake is overdue; returns the milliseconds until the
// next deadline, or the most a tick may wait when none is pending.
std::uint64_t GuestBroker::expire_handshakes() {
  const std::uint64_t now = now_ms();
  std::uint64_t next = UINT64_MAX;
  for (auto& [conn, connection] : connections_) {
    if (connection.handshake_deadline_ms == 0 || connection.closing) continue;
    if (connection.handshake_deadline_ms <= now) {
      log(LogLevel::notice, "Client " + connection.peer + " did not complete the TLS handshake within " +
                                std::to_string(config_.settings.connect_timeout_ms) + " ms, closing it.");
      connection.handshake_deadline_ms = 0;
      refuse(conn, connection);
    } else {
      next = std::min(next, connection.handshake_deadline_ms - now);
    }
  }
  return next;
}

void GuestBroker::shutdown() {
  engine_->shutdown();
  // Connections still in their TLS handshake never reached the engine.
  for (auto& [conn, connection] : connections_) {
    if (!connection.engine_open && !connection.closing) refuse(conn, connection);
  }
  answer_deferred();
}

std::uint64_t GuestBroker::send(ConnId conn, std::span<const std::uint8_t> bytes) {
  const auto it = connections_.find(conn);
  if (it == connections_.end()) return 0;
  // The runner holds what follows until the changes made so far are committed (broker/store.hpp).
  const bool hold = sealed_ && sealed_->pending() && broker::promises_durability(bytes);
  if (!it->second.tls) {
    if (hold) attestmq_host_hold(static_cast<std::uint32_t>(conn));
    return attestmq_host_send(static_cast<std::uint32_t>(conn), bytes.data(),
                              static_cast<std::uint32_t>(bytes.size()));
  }
  // Encrypted once the engine call returns (encrypt_pending), as the native reactor encrypts
  // a connection's outbox at flush: one record for many small packets, not one each.
  Connection& connection = it->second;
  connection.hold_unencrypted |= hold;
  if (connection.unencrypted.empty()) encrypt_queue_.push_back(conn);
  connection.unencrypted.insert(connection.unencrypted.end(), bytes.begin(), bytes.end());
  const std::uint64_t backlog = connection.host_backlog + connection.unencrypted.size();
  // Over the limit the engine waits for Engine::writable: encrypt() owes it one.
  if (backlog > config_.settings.max_client_output_bytes) connection.engine_waits = true;
  return backlog;
}

void GuestBroker::close(ConnId conn) {
  const auto it = connections_.find(conn);
  if (it == connections_.end() || it->second.closing) return;
  it->second.closing = true;
  // RFC 8446 section 6.1: close_notify after the last record, before the transport closes.
  if (it->second.tls) {
    encrypt(conn, it->second);
    ciphertext_.clear();
    it->second.tls->close(ciphertext_);
    send_ciphertext(conn);
  }
  attestmq_host_close(static_cast<std::uint32_t>(conn));
}

std::uint64_t GuestBroker::now_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000 + static_cast<std::uint64_t>(now.tv_nsec) / 1'000'000;
}

std::uint64_t GuestBroker::wall_clock_s() { return static_cast<std::uint64_t>(::time(nullptr)); }

// WASI random_get through wasi-libc's getentropy, at most 256 bytes a call.
bool GuestBroker::random(std::span<std::uint8_t> out) {
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t chunk = std::min<std::size_t>(256, out.size() - done);
    if (getentropy(out.data() + done, chunk) != 0) return false;
    done += chunk;
  }
  return true;
}

void GuestBroker::log(LogLevel level, std::string_view line) {
  attestmq_host_log(static_cast<std::uint32_t>(level), line.data(), static_cast<std::uint32_t>(line.size()));
}

void GuestBroker::check_password(ConnId conn, broker::PasswordCheck check) {
  password_checks_.emplace_back(conn, std::move(check));
}

void GuestBroker::authentication_step(ConnId conn, broker::AuthenticationStep step) {
  authentication_steps_.emplace_back(conn, std::move(step));
}

// One thread: each password is hashed here, after the engine call that asked for it. The
// engine holds nothing for the client meanwhile, so the next call can carry on at once.
void GuestBroker::answer_deferred() {
  while (!password_checks_.empty() || !authentication_steps_.empty() || !encrypt_queue_.empty()) {
    auto checks = std::move(password_checks_);
    password_checks_.clear();
    for (auto& [conn, check] : checks) {
      const bool valid = check.passwords->verify(check.username, check.password);
      engine_->password_checked(conn, valid ? broker::PasswordVerdict::valid : broker::PasswordVerdict::invalid);
    }
    auto steps = std::move(authentication_steps_);
    authentication_steps_.clear();
    for (const auto& [conn, step] : steps) {
      const auto it = connections_.find(conn);
      if (it == connections_.end()) continue;  // gone: the engine has forgotten it too
      engine_->authentication_answered(
          conn, attested::answer_step(attested_.get(), it->second.tls.get(), step));
    }
    encrypt_pending();
  }
}

}  // namespace attestmq::wasm::guest
