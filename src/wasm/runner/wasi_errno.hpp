#pragma once
// WASI preview 1 error numbers the runner answers with (wasi_snapshot_preview1.witx, `errno`).
#include <cstdint>

namespace attestmq::wasm::wasi_errno {

inline constexpr std::uint32_t kSuccess = 0;
inline constexpr std::uint32_t kAcces = 2;         // permission denied
inline constexpr std::uint32_t kAgain = 6;         // try again
inline constexpr std::uint32_t kBadf = 8;          // no such file descriptor
inline constexpr std::uint32_t kFault = 21;        // an address outside linear memory
inline constexpr std::uint32_t kFbig = 22;         // file too large
inline constexpr std::uint32_t kInval = 28;        // an argument out of its domain
inline constexpr std::uint32_t kIo = 29;           // the host could not do it
inline constexpr std::uint32_t kIsdir = 31;        // a directory where a file was asked for
inline constexpr std::uint32_t kLoop = 32;         // a symbolic link where none may be
inline constexpr std::uint32_t kMfile = 33;        // the guest's descriptor table is full
inline constexpr std::uint32_t kNametoolong = 37;  // a path or name longer than allowed
inline constexpr std::uint32_t kNfile = 41;        // the host's file table is full
inline constexpr std::uint32_t kNoent = 44;        // no such file or directory
inline constexpr std::uint32_t kNomem = 48;        // the host is out of memory
inline constexpr std::uint32_t kNosys = 52;        // the host kernel lacks the call
inline constexpr std::uint32_t kNotdir = 54;       // not a directory
inline constexpr std::uint32_t kNotsup = 58;       // not supported on this descriptor
inline constexpr std::uint32_t kNxio = 60;         // no such device
inline constexpr std::uint32_t kOverflow = 61;     // a value too large for its type
inline constexpr std::uint32_t kPerm = 63;         // operation not permitted
inline constexpr std::uint32_t kRofs = 69;         // creating or truncating: read-only
inline constexpr std::uint32_t kSpipe = 70;        // seeking where one cannot
inline constexpr std::uint32_t kNotcapable = 76;   // a right the runner does not grant

// The WASI errno for a host errno value; EXDEV (openat2 refusing to leave the base
// directory) becomes ENOTCAPABLE, and values WASI has no number for become EIO.
std::uint32_t from_host(int error);

}  // namespace attestmq::wasm::wasi_errno
