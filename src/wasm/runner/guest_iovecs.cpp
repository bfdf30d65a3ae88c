#include "wasm/runner/guest_iovecs.hpp"

#include <algorithm>
#include <string>

namespace attestmq::wasm {

std::optional<std::vector<std::span<std::uint8_t>>> guest_iovecs(Host& host,
                                                                 std::string_view import,
                                                                 std::uint32_t iovs,
                                                                 std::uint32_t count,
                                                                 std::size_t limit) {
  constexpr std::uint64_t kIovecSize = 8;  // struct { u32 buf; u32 buf_len; }
  const GuestMemory memory = host.memory();
  if (!memory.span(iovs, count * kIovecSize)) {
    host.refuse(std::string(import) + " iovecs", iovs, count * kIovecSize);
    return std::nullopt;
  }
  std::vector<std::span<std::uint8_t>> buffers;
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    // The whole array lies inside memory (checked above), so these loads succeed.
    const std::uint32_t entry = iovs + static_cast<std::uint32_t>(i * kIovecSize);
    const std::uint32_t pointer = *memory.load_u32(entry);
    const std::uint32_t length = *memory.load_u32(entry + 4);
    const auto buffer = memory.span(pointer, length);
    if (!buffer) {
      host.refuse(std::string(import) + " buffer", pointer, length);
      return std::nullopt;
    }
    const std::size_t taken = std::min<std::size_t>(buffer->size(), limit - total);
    if (taken > 0) buffers.push_back(buffer->first(taken));
    total += taken;
  }
  return buffers;
}

}  // namespace attestmq::wasm
