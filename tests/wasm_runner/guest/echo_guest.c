// The runner tests' guest module: a small reactor that exercises each import of the runner
// (attestmq.send, attestmq.log, attestmq.evidence, the store imports and sealing_key, WASI random_get, clock_time_get, fd_write, the read-only
// filesystem, the environment and proc_exit) and each way a guest can fail (out-of-bounds
// access, unreachable, call stack exhaustion, division by zero).
// Pointers and lengths the host passes are forwarded as given, so that tests can hand the
// host's own checks a bad one through a real guest; read_file and change_directory go through
// wasi-libc's stdio and its preopen lookup instead, as the engine does.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("attestmq"), import_name(name)))

IMPORT("send") uint64_t host_send(uint32_t connection, uint32_t bytes, uint32_t length);
IMPORT("close") uint32_t host_close(uint32_t connection);
IMPORT("log") uint32_t host_log(uint32_t level, uint32_t text, uint32_t length);
IMPORT("evidence") uint64_t host_evidence(uint32_t report_data, uint32_t out, uint32_t capacity);
IMPORT("store_put")
uint32_t host_store_put(uint32_t kind, uint32_t key, uint32_t key_length, uint32_t value, uint32_t value_length);
IMPORT("store_erase") uint32_t host_store_erase(uint32_t kind, uint32_t key, uint32_t key_length);
IMPORT("sealing_key") uint64_t host_sealing_key(uint32_t out, uint32_t capacity);

// wasi-libc's own wrappers take NUL-terminated paths and measure them in the guest; these
// declarations pass the host's (pointer, length) through unchanged.
#define WASI_IMPORT(name) \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
WASI_IMPORT("path_open")
uint32_t raw_path_open(uint32_t fd, uint32_t dirflags, uint32_t path, uint32_t path_len,
                       uint32_t oflags, uint64_t rights_base, uint64_t rights_inheriting,
                       uint32_t fdflags, uint32_t opened);
WASI_IMPORT("path_filestat_get")
uint32_t raw_path_filestat_get(uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len,
                               uint32_t filestat);

enum { kBufferSize = 4096 };
static uint8_t input[kBufferSize];
static uint8_t output[kBufferSize];
// Room for more than fd_read gives in one call.
enum { kLargeBufferSize = 128 * 1024 };
static uint8_t large[kLargeBufferSize];
static uint32_t calls;

static uint32_t address(const void* pointer) { return (uint32_t)(uintptr_t)pointer; }

// Where the host writes what echo() reads.
EXPORT("input_buffer") uint32_t input_buffer(void) { return address(input); }
EXPORT("buffer_size") uint32_t buffer_size(void) { return kBufferSize; }
EXPORT("output_buffer") uint32_t output_buffer(void) { return address(output); }
EXPORT("large_buffer") uint32_t large_buffer(void) { return address(large); }
EXPORT("large_buffer_size") uint32_t large_buffer_size(void) { return kLargeBufferSize; }

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

EXPORT("evidence_range")
uint64_t evidence_range(uint32_t report_data, uint32_t out, uint32_t capacity) {
  return host_evidence(report_data, out, capacity);
}

EXPORT("store_put_range")
uint32_t store_put_range(uint32_t kind, uint32_t key, uint32_t key_length, uint32_t value, uint32_t value_length) {
  return host_store_put(kind, key, key_length, value, value_length);
}

EXPORT("store_erase_range") uint32_t store_erase_range(uint32_t kind, uint32_t key, uint32_t key_length) {
  return host_store_erase(kind, key, key_length);
}

EXPORT("sealing_key_range") uint64_t sealing_key_range(uint32_t out, uint32_t capacity) {
  return host_sealing_key(out, capacity);
}

EXPORT("close") uint32_t close_connection(uint32_t connection) { return host_close(connection); }

// Writes `length` bytes of `value` at guest address `bytes`: past the end of memory, the
// store traps.
EXPORT("fill") void fill(uint32_t bytes, uint32_t length, uint32_t value) {
  volatile uint8_t* target = (volatile uint8_t*)(uintptr_t)bytes;
  for (uint32_t i = 0; i < length; ++i) target[i] = (uint8_t)value;
}

// Reads one byte at guest address `at` and discards it. With explicit bounds checks the load
// traps past the end of memory even though nothing uses its value (the C compiler may drop
// such a load, never its check); with guard pages a dropped load reads nothing and does not
// trap (cmake/wasm2c_edits.cmake).
EXPORT("touch") void touch(uint32_t at) { (void)*(volatile uint8_t*)(uintptr_t)at; }

// Reads one byte at guest address `at` and returns it: past the end of memory the load traps,
// however the runner bounds memory.
EXPORT("peek") uint32_t peek(uint32_t at) { return *(volatile uint8_t*)(uintptr_t)at; }

// Grows the memory by `pages` and, in the same call, writes the new last byte: the write
// must see the grown memory. Returns the size before, in pages (UINT32_MAX if it cannot grow).
EXPORT("grow_and_write_last") uint32_t grow_and_write_last(uint32_t pages) {
  const size_t before = __builtin_wasm_memory_grow(0, pages);
  if (before == (size_t)-1) return UINT32_MAX;
  *(volatile uint8_t*)(uintptr_t)((before + pages) * 65536 - 1) = 1;
  return (uint32_t)before;
}

// Counts the calls into this instance: a fresh instance starts again at 1.
EXPORT("count_call") uint32_t count_call(void) { return ++calls; }

EXPORT("trap_unreachable") void trap_unreachable(void) { __builtin_trap(); }

// Recursion `levels` deep, returning 0 + 1 + ... + (levels - 1); UINT32_MAX is far deeper
// than the native stack the runner allows the guest. Each call goes through a volatile
// function pointer, which keeps clang from turning it into a loop, and keeps `depth` in a
// Wasm local (a native frame), not in the module's shadow stack: the runner's stack bound,
// not the shadow stack running out, must stop it.
static uint32_t recurse_deeper(uint32_t depth, uint32_t levels);
static uint32_t (*volatile next_level)(uint32_t, uint32_t) = recurse_deeper;

static uint32_t recurse_deeper(uint32_t depth, uint32_t levels) {
  if (depth == levels) return 0;
  return next_level(depth + 1, levels) + depth;
}

EXPORT("recurse") uint32_t recurse(uint32_t levels) { return recurse_deeper(0, levels); }

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

EXPORT("fd_prestat_get") uint32_t fd_prestat_get(uint32_t fd, uint32_t prestat) {
  return __wasi_fd_prestat_get(fd, (__wasi_prestat_t*)(uintptr_t)prestat);
}

EXPORT("fd_prestat_dir_name")
uint32_t fd_prestat_dir_name(uint32_t fd, uint32_t path, uint32_t path_len) {
  return __wasi_fd_prestat_dir_name(fd, (uint8_t*)(uintptr_t)path, path_len);
}

EXPORT("path_open")
uint32_t path_open(uint32_t fd, uint32_t dirflags, uint32_t path, uint32_t path_len,
                   uint32_t oflags, uint64_t rights_base, uint64_t rights_inheriting,
                   uint32_t fdflags, uint32_t opened) {
  return raw_path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
                       fdflags, opened);
}

EXPORT("fd_read") uint32_t fd_read(uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nread) {
  return __wasi_fd_read(fd, (const __wasi_iovec_t*)(uintptr_t)iovs, iovs_len,
                        (__wasi_size_t*)(uintptr_t)nread);
}

EXPORT("fd_seek")
uint32_t fd_seek(uint32_t fd, int64_t offset, uint32_t whence, uint32_t newoffset) {
  return __wasi_fd_seek(fd, offset, (__wasi_whence_t)whence,
                        (__wasi_filesize_t*)(uintptr_t)newoffset);
}

EXPORT("fd_close") uint32_t fd_close(uint32_t fd) { return __wasi_fd_close(fd); }

EXPORT("fd_fdstat_get") uint32_t fd_fdstat_get(uint32_t fd, uint32_t fdstat) {
  return __wasi_fd_fdstat_get(fd, (__wasi_fdstat_t*)(uintptr_t)fdstat);
}

EXPORT("fd_fdstat_set_flags") uint32_t fd_fdstat_set_flags(uint32_t fd, uint32_t flags) {
  return __wasi_fd_fdstat_set_flags(fd, (__wasi_fdflags_t)flags);
}

EXPORT("fd_filestat_get") uint32_t fd_filestat_get(uint32_t fd, uint32_t filestat) {
  return __wasi_fd_filestat_get(fd, (__wasi_filestat_t*)(uintptr_t)filestat);
}

EXPORT("path_filestat_get")
uint32_t path_filestat_get(uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len,
                           uint32_t filestat) {
  return raw_path_filestat_get(fd, flags, path, path_len, filestat);
}

EXPORT("fd_readdir")
uint32_t fd_readdir(uint32_t fd, uint32_t buf, uint32_t buf_len, uint64_t cookie, uint32_t used) {
  return __wasi_fd_readdir(fd, (uint8_t*)(uintptr_t)buf, buf_len, cookie,
                           (__wasi_size_t*)(uintptr_t)used);
}

EXPORT("environ_sizes_get") uint32_t environ_sizes_get(uint32_t count, uint32_t buf_size) {
  return __wasi_environ_sizes_get((__wasi_size_t*)(uintptr_t)count,
                                  (__wasi_size_t*)(uintptr_t)buf_size);
}

EXPORT("environ_get") uint32_t environ_get(uint32_t environ, uint32_t environ_buf) {
  return __wasi_environ_get((uint8_t**)(uintptr_t)environ, (uint8_t*)(uintptr_t)environ_buf);
}

EXPORT("proc_exit") void proc_exit(uint32_t code) { __wasi_proc_exit(code); }

// chdir(path) with the NUL-terminated path at `path`: wasi-libc keeps the working directory
// itself and checks it with path_filestat_get. Returns 0 or errno.
EXPORT("change_directory") int32_t change_directory(uint32_t path) {
  return chdir((const char*)(uintptr_t)path) == 0 ? 0 : errno;
}

// Reads the file named by the NUL-terminated path at `path` into the output buffer with
// fopen/fread, as the engine reads its configuration; checks that ftell agrees. Returns the
// number of bytes read, or minus errno.
EXPORT("read_file") int32_t read_file(uint32_t path) {
  FILE* file = fopen((const char*)(uintptr_t)path, "rb");
  if (!file) return -errno;
  const size_t count = fread(output, 1, sizeof output, file);
  const int failed = ferror(file) || ftell(file) != (long)count;
  const int error = errno;
  fclose(file);
  return failed ? -error : (int32_t)count;
}

// fopen(path, mode) for a mode the test gives (NUL-terminated, at `mode`): 0 if it opened
// (and is closed again), or errno.
EXPORT("open_file") int32_t open_file(uint32_t path, uint32_t mode) {
  FILE* file = fopen((const char*)(uintptr_t)path, (const char*)(uintptr_t)mode);
  if (!file) return errno;
  fclose(file);
  return 0;
}
