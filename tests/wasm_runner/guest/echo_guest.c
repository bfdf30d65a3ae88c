// The runner tests' guest module: a small reactor that exercises each import of the runner
// (attestmq.send, attestmq.log, WASI random_get, clock_time_get and fd_write) and each way a guest can
// fail (out-of-bounds access, unreachable, call stack exhaustion, division by zero).
// Pointers and lengths the host passes are forwarded as given, so that tests can hand the
// host's own checks a bad one through a real guest.
#include <stdint.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("attestmq"), import_name(name)))

IMPORT("send") uint64_t host_send(uint32_t connection, uint32_t bytes, uint32_t length);
IMPORT("close") uint32_t host_close(uint32_t connection);
IMPORT("log") uint32_t host_log(uint32_t level, uint32_t text, uint32_t length);

enum { kBufferSize = 4096 };
static uint8_t input[kBufferSize];
static uint8_t output[kBufferSize];
static uint32_t calls;

static uint32_t address(const void* pointer) { return (uint32_t)(uintptr_t)pointer; }

// Where the host writes what echo() reads.
EXPORT("input_buffer") uint32_t input_buffer(void) { return address(input); }
EXPORT("buffer_size") uint32_t buffer_size(void) { return kBufferSize; }

// Sends the first `length` input bytes back on `connection`, reversed, so that the host sees
// the guest's own work rather than its input. Returns what send returned (the host's backlog).
EXPORT("echo") uint64_t echo(uint32_t connection, uint32_t length) {
  if (length > kBufferSize) return __WASI_ERRNO_INVAL;
  for (uint32_t i = 0; i < length; ++i) output[i] = input[length - 1 - i];
  return host_send(connection, address(output), length);
}

EXPORT("send_range") uint64_t send_range(uint32_t connection, uint32_t bytes, uint32_t length) {
  return host_send(connection, bytes, length);
}

EXPORT("log_range") uint32_t log_range(uint32_t level, uint32_t text, uint32_t length) {
  return host_log(level, text, length);
}

EXPORT("close") uint32_t close_connection(uint32_t connection) { return host_close(connection); }

// Writes `length` bytes of `value` at guest address `bytes`: past the end of memory, the
// store traps.
EXPORT("fill") void fill(uint32_t bytes, uint32_t length, uint32_t value) {
  volatile uint8_t* target = (volatile uint8_t*)(uintptr_t)bytes;
  for (uint32_t i = 0; i < length; ++i) target[i] = (uint8_t)value;
}

// Counts the calls into this instance: a fresh instance starts again at 1.
EXPORT("count_call") uint32_t count_call(void) { return ++calls; }

EXPORT("trap_unreachable") void trap_unreachable(void) { __builtin_trap(); }

// Recursion far deeper than any call stack the runner allows. The volatile read after the
// call keeps clang from turning it into a loop.
EXPORT("recurse") uint32_t recurse(uint32_t depth) {
  volatile uint32_t mark = depth;
  if (depth == UINT32_MAX) return 0;
  return recurse(depth + 1) + mark;
}

EXPORT("divide") int32_t divide(int32_t dividend, int32_t divisor) {
  return dividend / divisor;
}

EXPORT("random_get") uint32_t random_get(uint32_t bytes, uint32_t length) {
  return __wasi_random_get((uint8_t*)(uintptr_t)bytes, length);
}

EXPORT("clock_time_get") uint32_t clock_time_get(uint32_t clock, uint32_t time) {
  return __wasi_clock_time_get(clock, 1, (__wasi_timestamp_t*)(uintptr_t)time);
}

// The iovec array and the result pointer come from the host as guest addresses.
EXPORT("fd_write") uint32_t fd_write(uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t written) {
  return __wasi_fd_write(fd, (const __wasi_ciovec_t*)(uintptr_t)iovs, iovs_len,
                         (__wasi_size_t*)(uintptr_t)written);
}
