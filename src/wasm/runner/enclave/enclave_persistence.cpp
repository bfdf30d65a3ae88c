// attestmq-enclave's persistence (docs/persistence.md): the runner keeps the module's sealed
// records in its SQLite database, has the module seal its changes and commits them in
// groups, and holds back what the module marked as promising them until they are
// committed, as the native server does. It never
// reads a record: the module sealed it, and checks it when it comes back.
#include <cstdlib>
#include <cstring>

#include "broker/durability.hpp"
#include "server/open_store.hpp"
#include "wasm/runner/enclave/enclave.hpp"

namespace attestmq::wasm {

bool Enclave::open_store(std::string& error) {
  auto opened = server::open_store(host_view_);
  if (auto* open_error = std::get_if<std::string>(&opened)) {
    error = std::move(*open_error);
    return false;
  }
  store_ = std::get<0>(std::move(opened));
  return true;
}

// Every record, through the module's input buffer, then the end, which the module answers
// only once the whole database was found sound. A trap here is a refusal, not a restart: the
// same database would make the new instance trap again.
bool Enclave::restore_guest(std::string& error) {
  if (!store_) return true;
  bool trapped = false;
  bool refused_by_guest = false;  // the module says why at the end
  bool no_room = false;           // the module's buffer was not where it said
  auto refused = store_->load([&](broker::RecordKind kind, std::span<const std::uint8_t> name,
                                  std::span<const std::uint8_t> value) -> std::optional<std::string> {
    const std::uint64_t total = std::uint64_t{name.size()} + value.size();
    if (total > UINT32_MAX) return std::string("a record over 4 GiB");
    std::uint32_t status = 1;
    trapped = runner_->batch([&](EngineModule::Instance& guest) {
      const std::uint32_t buffer = Z_attestmq_engineZ_attestmq_input_buffer(&guest, static_cast<std::uint32_t>(total));
      const auto target = runner_->memory().span(buffer, static_cast<std::uint32_t>(total));
      no_room = !target;
      if (no_room) return;
      if (!name.empty()) std::memcpy(target->data(), name.data(), name.size());
      if (!value.empty()) std::memcpy(target->data() + name.size(), value.data(), value.size());
      status = Z_attestmq_engineZ_attestmq_restore(&guest, static_cast<std::uint32_t>(kind),
                                                    static_cast<std::uint32_t>(name.size()),
                                                    static_cast<std::uint32_t>(value.size()));
    }) != WASM_RT_TRAP_NONE;
    if (trapped) return std::string("the module trapped");
    if (no_room) return std::string("the module's input buffer lies outside its memory");
    refused_by_guest = status != 0;
    return refused_by_guest ? std::optional<std::string>("refused by the module") : std::nullopt;
  });
  if (refused && !refused_by_guest) {
    store_->discard();
    error = *refused + "; refusing to start";
    return false;
  }
  std::uint32_t status = 1;
  // The end says why the module refused a record, or restores the engine.
  trapped = runner_->batch([&](EngineModule::Instance& guest) {
    status = Z_attestmq_engineZ_attestmq_restore_end(&guest);
    // The records may have grown the input buffer elsewhere: ask where it is now.
    input_buffer_ = Z_attestmq_engineZ_attestmq_input_buffer(&guest, kReadChunk);
  }) != WASM_RT_TRAP_NONE;
  if (trapped || status != 0) {
    store_->discard();  // nothing of a refused start reaches the file
    error = trapped ? "the module trapped while restoring " + store_->path()
                    : "the module refused " + store_->path() + " (the reason is logged above)";
    return false;
  }
  return true;
}

void Enclave::hold(std::uint32_t conn) {
  if (!store_) return;
  // The module asks only while it has changes not yet committed; a hold without them ends at
  // the next turn's make_durable, which lets out what is held whatever it finds.
  const auto it = connections_.find(conn);
  if (it == connections_.end() || it->second.holding) return;
  it->second.holding = true;
  holding_.push_back(conn);
}

bool Enclave::make_durable(bool now) {
  if (!store_) return false;
  // The module seals its changes only when asked (SealedStore::flush), so it is asked how old
  // the oldest one is: UINT64_MAX when there is none.
  std::uint64_t age_us = UINT64_MAX;
  if (!call_guest([&](EngineModule::Instance& guest) { age_us = Z_attestmq_engineZ_attestmq_store_pending_us(&guest); }))
    return false;  // trapped: the new instance starts from the database
  const bool guest_pending = age_us != UINT64_MAX;
  if (!guest_pending && !store_->pending() && holding_.empty()) return false;
  const auto window = static_cast<std::uint64_t>(broker::kGroupCommit.count());
  if (!now && guest_pending && age_us < window) return true;
  if (guest_pending &&
      !call_guest([](EngineModule::Instance& guest) { Z_attestmq_engineZ_attestmq_store_flush(&guest); }))
    return false;
  if (auto error = store_->commit()) {
    log(log_level::kError, *error + "; stopping, so that nothing unsaved is acknowledged.");
    std::_Exit(EXIT_FAILURE);  // the logger writes each line through: nothing is lost
  }
  for (const std::uint32_t conn : std::exchange(holding_, {})) {
    const auto it = connections_.find(conn);
    if (it == connections_.end()) continue;  // gone: its output went with it
    Connection& connection = it->second;
    connection.holding = false;
    if (connection.unwritten() == 0) touched_.push_back(conn);
    connection.output.insert(connection.output.end(), connection.held.begin(), connection.held.end());
    connection.held.clear();
    if (std::exchange(connection.close_held, false)) guest_close(conn);
  }
  flush_touched();
  return false;
}

}  // namespace attestmq::wasm
