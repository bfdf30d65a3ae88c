#pragma once
// The guest's linear memory as the host may touch it. Every address and length a guest passes
// to an import is a claim, not a fact: a span is handed out only when [pointer, pointer +
// length) lies inside the memory's current size, computed without overflow. The view is taken
// afresh for each import call, because memory.grow may move the data.
#include <cstdint>
#include <optional>
#include <span>

#include "wasm/runner/wasm_rt.hpp"

namespace attestmq::wasm {

class GuestMemory {
 public:
  explicit GuestMemory(const wasm_rt_memory_t& memory) : memory_(memory) {}

  std::uint32_t size() const { return memory_.size; }

  // The bytes at [pointer, pointer + length), or nothing if any of them is outside memory.
  // The length is 64-bit so that a guest's count times an element size cannot wrap first.
  std::optional<std::span<std::uint8_t>> span(std::uint32_t pointer, std::uint64_t length) const;

  // Little-endian loads and stores, as Wasm lays out integers; nothing or false if outside
  // memory.
  std::optional<std::uint32_t> load_u32(std::uint32_t pointer) const;
  bool store_u32(std::uint32_t pointer, std::uint32_t value) const;
  bool store_u64(std::uint32_t pointer, std::uint64_t value) const;

 private:
  const wasm_rt_memory_t& memory_;
};

}  // namespace attestmq::wasm
