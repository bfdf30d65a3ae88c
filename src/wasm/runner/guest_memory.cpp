#include "wasm/runner/guest_memory.hpp"

#include <bit>
#include <cstring>

namespace attestmq::wasm {

// wasm2c stores integers in host order, and the runner's stores must agree with the guest's
// loads; a big-endian host would need byte swaps here and in the generated code alike.
static_assert(std::endian::native == std::endian::little);

std::optional<std::span<std::uint8_t>> GuestMemory::span(std::uint32_t pointer,
                                                         std::uint32_t length) const {
  // 64-bit sum: pointer + length cannot wrap around to a small, in-bounds end.
  if (static_cast<std::uint64_t>(pointer) + length > memory_.size) return std::nullopt;
  return std::span<std::uint8_t>(memory_.data + pointer, length);
}

bool GuestMemory::store_u64(std::uint32_t pointer, std::uint64_t value) const {
  const auto target = span(pointer, sizeof value);
  if (!target) return false;
  std::memcpy(target->data(), &value, sizeof value);
  return true;
}

}  // namespace attestmq::wasm
