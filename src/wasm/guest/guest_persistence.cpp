// The module's persistence at start: the runner hands back every sealed record of its
// database, the sealing checks them, and the engine gets them only once the whole database
// has been found sound (docs/persistence.md, "Sealed records").
#include <chrono>
#include <string>

#include "wasm/guest/guest_broker.hpp"
#include "wasm/guest/host_imports.hpp"

namespace attestmq::wasm::guest {

bool GuestBroker::restore_record(std::uint32_t kind, std::span<const std::uint8_t> name,
                                 std::span<const std::uint8_t> sealed) {
  if (!sealed_) {
    restore_error_ = "the runner restores records, but this configuration has no persistence";
    return false;
  }
  if (!restore_error_.empty()) return false;
  if (kind > static_cast<std::uint32_t>(broker::RecordKind::retained)) {
    restore_error_ = "a record of unknown kind " + std::to_string(kind);
    return false;
  }
  if (auto error = sealed_->unseal(static_cast<broker::RecordKind>(kind), name, sealed)) restore_error_ = *error;
  return restore_error_.empty();
}

bool GuestBroker::finish_restore() {
  const auto refuse = [this](const std::string& reason) {
    log(broker::LogLevel::error, "persistence: " + reason + "; refusing to start (move the database away to start empty)");
    return false;
  };
  if (!sealed_) return refuse("the runner restores records, but this configuration has no persistence");
  if (!restore_error_.empty()) return refuse(restore_error_);
  std::size_t counts[4] = {};
  auto error = sealed_->finish_unsealing([&](broker::RecordKind kind, std::span<const std::uint8_t> key,
                                             std::span<const std::uint8_t> value) {
    ++counts[static_cast<int>(kind)];
    return engine_->restore(kind, key, value);
  });
  if (error) return refuse(*error);
  // The new epoch's header is committed before the counter moves to it (SealedStore::confirm_epoch).
  if (attestmq_host_store_commit() != 0) return refuse("the runner could not commit the new epoch");
  if (auto counter_error = sealed_->confirm_epoch()) return refuse(*counter_error);
  for (const std::string& notice : sealed_->notices()) log(broker::LogLevel::notice, notice);
  log(broker::LogLevel::notice, "Restored " + std::to_string(counts[1]) + " sessions, " + std::to_string(counts[2]) +
                                    " queued or in-flight messages and " + std::to_string(counts[3]) +
                                    " retained messages, sealed, epoch " + std::to_string(sealed_->epoch()) + ".");
  return true;
}

std::uint64_t GuestBroker::store_pending_us() const {
  if (!sealed_ || !sealed_->pending()) return UINT64_MAX;
  const auto age = std::chrono::steady_clock::now() - sealed_->pending_since();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(age).count());
}

void GuestBroker::flush_store() {
  if (sealed_) sealed_->flush();
}

}  // namespace attestmq::wasm::guest
