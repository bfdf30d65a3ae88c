#pragma once
// The runner's database as the module sees it: a broker::Store over the store imports
// (host_imports.hpp). Only sealed records reach it (store/sealed_store.hpp): the runner keeps
// them, commits them, and could drop or replay them, which the sealing detects, but it cannot
// read or change one unnoticed.
#include "broker/store.hpp"

namespace attestmq::wasm::guest {

class HostStore final : public broker::Store {
 public:
  // A refused call means the runner lost a change the engine relies on: the module traps, and
  // the runner starts a new instance from what its database holds.
  void put(broker::RecordKind kind, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) override;
  void erase(broker::RecordKind kind, std::span<const std::uint8_t> key) override;
};

}  // namespace attestmq::wasm::guest
