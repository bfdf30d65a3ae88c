#include "server/server_core.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "attested/listener_attestation.hpp"
#include "broker/durability.hpp"
#include "attested/reload.hpp"
#include "server/random_bytes.hpp"
#include "server/reactor.hpp"

namespace attestmq::server {
namespace {

// Applies `mutate` to the outbox under its lock, then makes sure its owner will flush it.
template <typename Mutate>
auto update_outbox(std::vector<std::unique_ptr<Reactor>>& reactors, broker::ConnId conn,
                   Outbox& outbox, Mutate&& mutate) {
  bool schedule = false;
  decltype(mutate(outbox)) result;
  {
    std::lock_guard lock(outbox.mutex);
    result = mutate(outbox);
    schedule = !outbox.flush_scheduled;
    outbox.flush_scheduled = true;
  }
  if (schedule) reactors[reactor_of(conn)]->schedule_flush(conn);
  return result;
}


}  // namespace

ServerCore::ServerCore(const config::BrokerConfig& config, std::unique_ptr<Logger> logger,
                       unsigned threads, std::unique_ptr<attested::AttestedSessions> attested,
                       std::unique_ptr<store::SqliteStore> store, std::unique_ptr<store::SealedStore> sealed)
    : config_(config),
      threaded_(threads > 1),
      logger_(std::move(logger)),
      attested_(std::move(attested)),
      engine_mutex_(threaded_),
      connection_counts_(std::make_unique<std::atomic<std::int32_t>[]>(config.listeners.size())),
      tls_contexts_(threaded_, attested_.get()),
      store_(std::move(store)),
      sealed_(std::move(sealed)),
      engine_(std::make_unique<broker::Engine>(*this, attested::engine_settings(config, attested_ != nullptr))) {}

ServerCore::~ServerCore() = default;

void ServerCore::register_outbox(broker::ConnId conn, std::shared_ptr<Outbox> outbox) {
  outboxes_.emplace(conn, std::move(outbox));
}

void ServerCore::unregister_outbox(broker::ConnId conn) {
  outboxes_.erase(conn);
  if (password_workers_) password_workers_->cancel(conn);  // a login that will not be answered
}

std::uint64_t ServerCore::now_ms() {
  const auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(since_boot).count());
}

std::uint64_t ServerCore::wall_clock_s() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
}

bool ServerCore::random(std::span<std::uint8_t> out) {
  int error = 0;
  if (fill_random(out, system_random, error)) return true;
  log_parts(broker::LogLevel::error, "getrandom failed: ", std::strerror(error),
            "; refusing what needs random bytes.");
  return false;
}

void ServerCore::reload() {
  // One read of every security file, whose bytes feed both the TLS contexts (cafile,
  // psk_file) and the engine's policies (password_file, acl_file).
  auto reread = attested::reread_security_files(config_, attested_.get());
  if (const auto* refused = std::get_if<std::string>(&reread)) {
    log(broker::LogLevel::error, *refused);
    return;
  }
  auto& config = std::get<config::BrokerConfig>(reread);
  if (const auto reloaded = attested::tls_reloaded_line(config)) {
    std::string error;
    if (tls_contexts_.load(config.listeners, error)) {
      log(broker::LogLevel::notice, *reloaded);
    } else {
      log(broker::LogLevel::error, attested::tls_reload_failed_line(error));
    }
  }
  if (const auto reloaded = attested::security_files_reloaded_line(config)) {
    with_engine([&](broker::Engine& engine) {
      engine.update_listener_policies(
          attested::engine_policies(std::move(config.settings.listeners), config_, attested_ != nullptr));
    });
    log(broker::LogLevel::notice, *reloaded);
  }
}

void ServerCore::log(broker::LogLevel level, std::string_view line) { logger_->log(level, line); }

void ServerCore::authentication_step(broker::ConnId conn, broker::AuthenticationStep step) {
  reactors_[reactor_of(conn)]->run_authentication_step(conn, std::move(step));
}

void ServerCore::check_password(broker::ConnId conn, broker::PasswordCheck check) {
  // Waiting checks beyond this are refused with Server busy: a flood of logins costs bounded
  // memory, and a genuine login is not queued behind minutes of hashing.
  constexpr std::size_t kMaxQueuedPasswordChecks = 256;
  if (!password_workers_) {
    password_workers_ = std::make_unique<PasswordWorkers>(
        PasswordWorkers::default_threads(), kMaxQueuedPasswordChecks,
        [this](broker::ConnId checked, broker::PasswordVerdict verdict) {
          reactors_[reactor_of(checked)]->deliver_password_verdict(checked, verdict);
        });
  }
  password_workers_->submit(conn, std::move(check));
}

std::uint64_t ServerCore::send(broker::ConnId conn, std::span<const std::uint8_t> bytes) {
  const auto it = outboxes_.find(conn);
  if (it == outboxes_.end()) return 0;  // already closed: nobody to send to
  const std::uint64_t soft_limit = output_soft_limit();
  Outbox& box = *it->second;
  if (store_ && (box.holding || (changes_pending() && broker::promises_durability(bytes)))) {
    std::lock_guard lock(box.mutex);
    if (!box.holding) holding_.push_back(conn);
    box.holding = true;
    box.held.insert(box.held.end(), bytes.begin(), bytes.end());
    if (box.throttled) box.excess += bytes.size();
    const std::uint64_t backlog = box.backlog();
    if (backlog > soft_limit) box.throttled = true;
    return backlog;
  }
  return update_outbox(reactors_, conn, box, [&](Outbox& outbox) {
    outbox.staged.insert(outbox.staged.end(), bytes.begin(), bytes.end());
    if (outbox.throttled) outbox.excess += bytes.size();
    const std::uint64_t backlog = outbox.backlog();
    if (backlog > soft_limit) outbox.throttled = true;
    return backlog;
  });
}

void ServerCore::close(broker::ConnId conn) {
  const auto it = outboxes_.find(conn);
  if (it == outboxes_.end()) return;
  Outbox& box = *it->second;
  if (box.holding) {  // after the bytes held before it
    std::lock_guard lock(box.mutex);
    box.close_held = true;
    return;
  }
  update_outbox(reactors_, conn, box, [](Outbox& outbox) {
    outbox.close_requested = true;
    return true;
  });
}

void ServerCore::make_durable(bool now) {
  if (!store_) return;
  std::lock_guard engine_lock(engine_mutex_);
  // Under sealing, changes can cancel out before any is committed (a message stored and
  // acknowledged in one window): what was held for them then goes at once, with no commit.
  if (changes_pending()) {
    // Changes wait in the SealedStore until its flush, then in the database.
    auto oldest = store_->pending() ? store_->pending_since() : std::chrono::steady_clock::time_point::max();
    if (sealed_ && sealed_->pending()) oldest = std::min(oldest, sealed_->pending_since());
    if (!now && std::chrono::steady_clock::now() - oldest < broker::kGroupCommit) return;
    if (sealed_) sealed_->flush();
    if (auto error = store_->commit()) {
      log(broker::LogLevel::error, *error + "; stopping, so that nothing unsaved is acknowledged.");
      std::_Exit(EXIT_FAILURE);  // the logger writes each line through: nothing is lost
    }
  }
  for (const broker::ConnId conn : holding_) {
    const auto it = outboxes_.find(conn);
    if (it == outboxes_.end()) continue;  // closed meanwhile: its output went with it
    update_outbox(reactors_, conn, *it->second, [](Outbox& outbox) {
      outbox.staged.insert(outbox.staged.end(), outbox.held.begin(), outbox.held.end());
      outbox.held.clear();
      outbox.holding = false;
      outbox.close_requested |= std::exchange(outbox.close_held, false);
      return true;
    });
  }
  holding_.clear();
}

bool ServerCore::commit_pending() {
  if (!store_) return false;
  std::lock_guard engine_lock(engine_mutex_);
  return changes_pending() || !holding_.empty();
}

bool ServerCore::changes_pending() const {
  return store_->pending() || (sealed_ && sealed_->pending());
}

}  // namespace attestmq::server
