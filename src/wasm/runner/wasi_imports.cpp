// The WASI preview 1 subset the runner offers (wasi_snapshot_preview1.witx): randomness and
// clocks. Every pointer is checked by GuestMemory; a bad one is answered with EFAULT.
#include <time.h>

#include "server/random_bytes.hpp"
#include "wasm/runner/host.hpp"
#include "wasm/runner/wasi_errno.hpp"

using attestmq::wasm::Host;
namespace wasi_errno = attestmq::wasm::wasi_errno;

// random_get(buf, buf_len): the kernel's CSPRNG, which is what OpenSSL in the guest seeds from.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_random_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t pointer,
    std::uint32_t length) noexcept {
  Host& host = *imports->host;
  const auto target = host.memory().span(pointer, length);
  if (!target) {
    host.refuse("wasi random_get", pointer, length);
    return wasi_errno::kFault;
  }
  int error = 0;
  if (!attestmq::server::fill_random(*target, attestmq::server::system_random, error)) {
    return wasi_errno::kIo;
  }
  return wasi_errno::kSuccess;
}

// clock_time_get(id, precision, *time): realtime (0) and monotonic (1) in nanoseconds. The CPU
// time clocks (2, 3) would tell the guest about the host's scheduling and are not offered.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t clock_id,
    std::uint64_t /*precision*/, std::uint32_t time_pointer) noexcept {
  Host& host = *imports->host;
  clockid_t host_clock;
  switch (clock_id) {
    case 0: host_clock = CLOCK_REALTIME; break;
    case 1: host_clock = CLOCK_MONOTONIC; break;
    default: return wasi_errno::kInval;
  }
  timespec now{};
  if (clock_gettime(host_clock, &now) != 0) return wasi_errno::kIo;
  const auto nanoseconds = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
                           static_cast<std::uint64_t>(now.tv_nsec);
  if (!host.memory().store_u64(time_pointer, nanoseconds)) {
    host.refuse("wasi clock_time_get", time_pointer, sizeof nanoseconds);
    return wasi_errno::kFault;
  }
  return wasi_errno::kSuccess;
}
