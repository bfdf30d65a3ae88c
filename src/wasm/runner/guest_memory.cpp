#include "wasm/runner/guest_memory.hpp"

#include <bit>
#include <cstring>

namespace attestmq::wasm {

// wasm2c stores integers in host order, and the runner's stores must agree with the guest's
// loads; a big-endian host would need byte swaps here and in the generated code alike.
static_assert(std::endian::native == std::endian::little);

namespace {

template <class Integer>
bool store(const GuestMemory& memory, std::uint32_t pointer, Integer value) {
  const auto target = memory.span(pointer, sizeof value);
  if (!target) return false;
  std::memcpy(target->data(), &value, sizeof value);
  return true;
}

}  // namespace

std::optional<std::span<std::uint8_t>> GuestMemory::span(std::uint32_t pointer,
                                                         std::uint64_t length) const {
  // Both below 2^33: pointer + length cannot wrap around to a small, in-bounds end.
  if (length > memory_.size || pointer + length > memory_.size) return std::nullopt;
  return std::span<std::uint8_t>(memory_.data + pointer, length);
}

std::optional<std::uint32_t> GuestMemory::load_u32(std::uint32_t pointer) const {
  std::uint32_t value = 0;
  const auto source = span(pointer, sizeof value);
  if (!source) return std::nullopt;
  std::memcpy(&value, source->data(), sizeof value);
  return value;
}

bool GuestMemory::store_u32(std::uint32_t pointer, std::uint32_t value) const {
  return store(*this, pointer, value);
}

bool GuestMemory::store_u64(std::uint32_t pointer, std::uint64_t value) const {
  return store(*this, pointer, value);
}

}  // namespace attestmq::wasm
