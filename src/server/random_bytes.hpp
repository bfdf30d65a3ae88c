#pragma once
// Random bytes for the engine (Host::random) from the kernel's getrandom(2), which can fail:
// a seccomp filter or an old kernel answers ENOSYS or EPERM, and those do not go away by
// asking again. Retrying them would spin forever with the engine lock held, so only what
// the call documents as transient is retried, and anything else is a failure the engine
// turns into a refusal.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>

namespace attestmq::server {

// A getrandom(2)-shaped source: fills up to out.size() bytes of `out`, returns how many,
// or -1 with errno set.
using RandomSource = std::function<ssize_t(std::span<std::uint8_t> out)>;

// getrandom(2) on the blocking pool (flags 0).
ssize_t system_random(std::span<std::uint8_t> out);

// A signal storm could interrupt every attempt: after this many EINTR in a row, give up.
inline constexpr int kMaxRandomInterruptions = 16;

// Fills all of `out` from `source`, continuing after short reads and retrying EINTR up to
// kMaxRandomInterruptions times in a row. False on any other error, with its errno in
// `error`, or when the source makes no progress (EIO then).
bool fill_random(std::span<std::uint8_t> out, const RandomSource& source, int& error);

}  // namespace attestmq::server
