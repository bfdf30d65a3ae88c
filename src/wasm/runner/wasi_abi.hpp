#pragma once
// WASI preview 1 constants the filesystem imports use (wasi_snapshot_preview1.witx; the same
// values as wasi-libc's <wasi/api.h>, which only compiles for wasm32).
#include <cstdint>

namespace attestmq::wasm::wasi_abi {

// `rights`: what a descriptor may be used for.
inline constexpr std::uint64_t kRightFdRead = 1u << 1;
inline constexpr std::uint64_t kRightFdSeek = 1u << 2;
inline constexpr std::uint64_t kRightFdTell = 1u << 5;
inline constexpr std::uint64_t kRightFdWrite = 1u << 6;
inline constexpr std::uint64_t kRightPathOpen = 1u << 13;
inline constexpr std::uint64_t kRightFdReaddir = 1u << 14;
inline constexpr std::uint64_t kRightPathFilestatGet = 1u << 18;
inline constexpr std::uint64_t kRightFdFilestatGet = 1u << 21;

// `filetype`.
inline constexpr std::uint8_t kFiletypeUnknown = 0;
inline constexpr std::uint8_t kFiletypeBlockDevice = 1;
inline constexpr std::uint8_t kFiletypeCharacterDevice = 2;
inline constexpr std::uint8_t kFiletypeDirectory = 3;
inline constexpr std::uint8_t kFiletypeRegularFile = 4;
inline constexpr std::uint8_t kFiletypeSocketStream = 6;
inline constexpr std::uint8_t kFiletypeSymbolicLink = 7;

// `oflags`, `fdflags` and `lookupflags` of path_open.
inline constexpr std::uint32_t kOflagCreat = 1u << 0;
inline constexpr std::uint32_t kOflagDirectory = 1u << 1;
inline constexpr std::uint32_t kOflagExcl = 1u << 2;
inline constexpr std::uint32_t kOflagTrunc = 1u << 3;
inline constexpr std::uint32_t kFdflagNonblock = 1u << 2;
inline constexpr std::uint32_t kLookupSymlinkFollow = 1u << 0;

// `whence` of fd_seek.
inline constexpr std::uint32_t kWhenceSet = 0;
inline constexpr std::uint32_t kWhenceCur = 1;
inline constexpr std::uint32_t kWhenceEnd = 2;

// `preopentype`: the tag of `prestat`.
inline constexpr std::uint32_t kPreopentypeDir = 0;

// Sizes of the structures the imports store.
inline constexpr std::uint32_t kPrestatSize = 8;
inline constexpr std::uint32_t kFdstatSize = 24;
inline constexpr std::uint32_t kFilestatSize = 64;

}  // namespace attestmq::wasm::wasi_abi
