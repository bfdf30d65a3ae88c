#pragma once
// The buffers of a WASI iovec array, as fd_write and fd_read take it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wasm/runner/host.hpp"

namespace attestmq::wasm {

// The `count` buffers the array at `iovs` names (iovec and ciovec alike: u32 buf, u32
// buf_len), cut so that together they hold at most `limit` bytes (a short read or write, as
// POSIX allows: a guest cannot make the host copy its whole memory many times over). The
// array and every buffer it names are checked, also past the limit, so that a bad call has no
// effect at all: if any lies outside memory, the result is nothing and the host has refused
// the call, logging it as `import` plus " iovecs" or " buffer".
std::optional<std::vector<std::span<std::uint8_t>>> guest_iovecs(Host& host,
                                                                 std::string_view import,
                                                                 std::uint32_t iovs,
                                                                 std::uint32_t count,
                                                                 std::size_t limit);

}  // namespace attestmq::wasm
