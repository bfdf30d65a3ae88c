#pragma once
// WASI preview 1 error numbers the runner answers with (wasi_snapshot_preview1.witx, `errno`).
#include <cstdint>

namespace attestmq::wasm::wasi_errno {

inline constexpr std::uint32_t kSuccess = 0;
inline constexpr std::uint32_t kBadf = 8;    // no such file descriptor
inline constexpr std::uint32_t kFault = 21;  // an address outside linear memory
inline constexpr std::uint32_t kInval = 28;  // an argument out of its domain
inline constexpr std::uint32_t kIo = 29;     // the host could not do it

}  // namespace attestmq::wasm::wasi_errno
