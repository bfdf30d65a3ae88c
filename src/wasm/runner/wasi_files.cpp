// The read-only WASI preview 1 filesystem (wasi_snapshot_preview1.witx), enough for
// wasi-libc's fopen/fread/fseek/stat/chdir and OpenSSL's file BIOs: preopened directories,
// opening beneath them for reading only, reading, seeking and status. Plus what else such a
// module imports: an empty environment and proc_exit. Descriptors are GuestFiles' numbers;
// every pointer is checked by GuestMemory (EFAULT when outside memory), and every operation
// needs a right that fd_fdstat_get reports for the descriptor (ENOTCAPABLE otherwise): files
// can be read, seeked and stat'ed, directories only opened beneath and stat'ed.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "wasm/runner/guest_iovecs.hpp"
#include "wasm/runner/host.hpp"
#include "wasm/runner/wasi_abi.hpp"
#include "wasm/runner/wasi_errno.hpp"

using attestmq::wasm::GuestFiles;
using attestmq::wasm::Host;
namespace abi = attestmq::wasm::wasi_abi;
namespace wasi_errno = attestmq::wasm::wasi_errno;

namespace {

constexpr std::uint64_t kFileRights = abi::kRightFdRead | abi::kRightFdSeek |
                                      abi::kRightFdTell | abi::kRightFdFilestatGet;
constexpr std::uint64_t kDirectoryRights =
    abi::kRightPathOpen | abi::kRightPathFilestatGet | abi::kRightFdFilestatGet;
// What a descriptor opened beneath a directory may hold: no write right of any kind.
constexpr std::uint64_t kInheritedRights = kFileRights | kDirectoryRights;
// Standard output and error are the runner's log (fd_write).
constexpr std::uint64_t kLogRights = abi::kRightFdWrite;

constexpr std::size_t kMaxRead = 64 * 1024;  // per fd_read call, like fd_write
constexpr std::uint32_t kMaxPath = 4096;     // Linux's PATH_MAX

bool is_log(std::uint32_t fd) { return fd == 1 || fd == 2; }

std::uint64_t rights(const GuestFiles::Entry& entry) {
  return entry.kind == GuestFiles::Kind::kDirectory ? kDirectoryRights : kFileRights;
}

// The open descriptor `fd` if it holds `right`; else nothing, with EBADF or ENOTCAPABLE.
const GuestFiles::Entry* entry_with(Host& host, std::uint32_t fd, std::uint64_t right,
                                    std::uint32_t& error) {
  const GuestFiles::Entry* entry = host.files().find(fd);
  error = !entry ? wasi_errno::kBadf : (rights(*entry) & right) != right ? wasi_errno::kNotcapable
                                                                         : wasi_errno::kSuccess;
  return error == wasi_errno::kSuccess ? entry : nullptr;
}

// [pointer, +length) of an import's argument or result, or nothing (refused and logged as
// `import`) if it is outside memory.
std::optional<std::span<std::uint8_t>> result_span(Host& host, std::string_view import,
                                                   std::uint32_t pointer, std::uint64_t length) {
  const auto target = host.memory().span(pointer, length);
  if (!target) host.refuse(import, pointer, length);
  return target;
}

template <class Integer>
void put(std::span<std::uint8_t> target, std::size_t offset, Integer value) {
  std::memcpy(target.data() + offset, &value, sizeof value);
}

// The guest's path at [pointer, +length) (WASI paths are not NUL-terminated), or its errno:
// EFAULT outside memory, ENAMETOOLONG beyond PATH_MAX, EINVAL with a NUL inside (which the
// host's C string would cut short).
std::uint32_t guest_path(Host& host, std::string_view import, std::uint32_t pointer,
                         std::uint32_t length, std::string& path) {
  const auto bytes = result_span(host, import, pointer, length);
  if (!bytes) return wasi_errno::kFault;
  if (length >= kMaxPath) return wasi_errno::kNametoolong;
  path.assign(bytes->begin(), bytes->end());
  return path.find('\0') == std::string::npos ? wasi_errno::kSuccess : wasi_errno::kInval;
}

std::uint8_t filetype(mode_t mode) {
  if (S_ISREG(mode)) return abi::kFiletypeRegularFile;
  if (S_ISDIR(mode)) return abi::kFiletypeDirectory;
  if (S_ISLNK(mode)) return abi::kFiletypeSymbolicLink;
  if (S_ISCHR(mode)) return abi::kFiletypeCharacterDevice;
  if (S_ISBLK(mode)) return abi::kFiletypeBlockDevice;
  if (S_ISSOCK(mode)) return abi::kFiletypeSocketStream;
  return abi::kFiletypeUnknown;
}

std::uint64_t nanoseconds(const timespec& time) {
  return static_cast<std::uint64_t>(time.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(time.tv_nsec);
}

// Stores `status` as WASI's filestat (64 bytes, witx layout) at `target`.
void put_filestat(std::span<std::uint8_t> target, const struct stat& status) {
  std::array<std::uint8_t, abi::kFilestatSize> filestat{};
  put<std::uint64_t>(filestat, 0, status.st_dev);
  put<std::uint64_t>(filestat, 8, status.st_ino);
  put<std::uint8_t>(filestat, 16, filetype(status.st_mode));
  put<std::uint64_t>(filestat, 24, status.st_nlink);
  put<std::uint64_t>(filestat, 32, static_cast<std::uint64_t>(status.st_size));
  put<std::uint64_t>(filestat, 40, nanoseconds(status.st_atim));
  put<std::uint64_t>(filestat, 48, nanoseconds(status.st_mtim));
  put<std::uint64_t>(filestat, 56, nanoseconds(status.st_ctim));
  std::memcpy(target.data(), filestat.data(), filestat.size());
}

}  // namespace

// fd_prestat_get(fd, *prestat): which descriptors are preopened directories. wasi-libc asks
// from 3 upwards until EBADF, then matches paths against their names.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd,
    std::uint32_t prestat_pointer) noexcept {
  Host& host = *imports->host;
  const std::string* name = host.files().preopen_path(fd);
  if (!name) return wasi_errno::kBadf;
  const auto target = result_span(host, "wasi fd_prestat_get", prestat_pointer, abi::kPrestatSize);
  if (!target) return wasi_errno::kFault;
  put<std::uint32_t>(*target, 0, abi::kPreopentypeDir);  // the tag and its padding
  put<std::uint32_t>(*target, 4, static_cast<std::uint32_t>(name->size()));
  return wasi_errno::kSuccess;
}

// fd_prestat_dir_name(fd, path, path_len): the preopen's guest path, without a NUL.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_prestat_dir_name(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint32_t path,
    std::uint32_t path_len) noexcept {
  Host& host = *imports->host;
  const std::string* name = host.files().preopen_path(fd);
  if (!name) return wasi_errno::kBadf;
  const auto target = result_span(host, "wasi fd_prestat_dir_name", path, path_len);
  if (!target) return wasi_errno::kFault;
  if (path_len < name->size()) return wasi_errno::kNametoolong;
  std::memcpy(target->data(), name->data(), name->size());
  return wasi_errno::kSuccess;
}

// path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags,
// *opened): opens beneath directory `fd` for reading only. Creating, truncating or
// exclusive opens are EROFS; a write right or a flag that writes (append, sync) is
// ENOTCAPABLE. GuestFiles resolves the path so that it stays beneath `fd`.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_path_open(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint32_t dirflags,
    std::uint32_t path_pointer, std::uint32_t path_len, std::uint32_t oflags,
    std::uint64_t rights_base, std::uint64_t rights_inheriting, std::uint32_t fdflags,
    std::uint32_t opened_pointer) noexcept {
  constexpr std::uint32_t kWritingOflags =
      abi::kOflagCreat | abi::kOflagExcl | abi::kOflagTrunc;
  Host& host = *imports->host;
  std::uint32_t error = 0;
  const GuestFiles::Entry* base = entry_with(host, fd, abi::kRightPathOpen, error);
  if (!base) return error;
  if ((dirflags & ~abi::kLookupSymlinkFollow) != 0) return wasi_errno::kInval;
  if ((oflags & ~(kWritingOflags | abi::kOflagDirectory)) != 0) return wasi_errno::kInval;
  if ((oflags & kWritingOflags) != 0) return wasi_errno::kRofs;
  if (((rights_base | rights_inheriting) & ~kInheritedRights) != 0) return wasi_errno::kNotcapable;
  // Non-blocking is what a regular file is anyway; append and the sync flags only make sense
  // for writing.
  if ((fdflags & ~abi::kFdflagNonblock) != 0) return wasi_errno::kNotcapable;
  std::string path;
  error = guest_path(host, "wasi path_open path", path_pointer, path_len, path);
  if (error != wasi_errno::kSuccess) return error;
  if (!result_span(host, "wasi path_open fd", opened_pointer, sizeof(std::uint32_t))) {
    return wasi_errno::kFault;
  }
  const auto opened = host.files().open(*base, path, (oflags & abi::kOflagDirectory) != 0,
                                        (dirflags & abi::kLookupSymlinkFollow) != 0);
  if (opened.error != wasi_errno::kSuccess) return opened.error;
  host.memory().store_u32(opened_pointer, opened.fd);
  return wasi_errno::kSuccess;
}

// fd_read(fd, iovs, iovs_len, *nread): at most kMaxRead bytes per call, straight into the
// guest's buffers, all checked (with nread) before anything is read.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_read(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint32_t iovs,
    std::uint32_t iovs_len, std::uint32_t read_pointer) noexcept {
  Host& host = *imports->host;
  std::uint32_t error = 0;
  const GuestFiles::Entry* file = entry_with(host, fd, abi::kRightFdRead, error);
  if (!file) return error;
  if (!result_span(host, "wasi fd_read nread", read_pointer, sizeof(std::uint32_t))) {
    return wasi_errno::kFault;
  }
  const auto buffers = attestmq::wasm::guest_iovecs(host, "wasi fd_read", iovs, iovs_len, kMaxRead);
  if (!buffers) return wasi_errno::kFault;
  std::size_t total = 0;
  for (const auto buffer : *buffers) {
    const ssize_t count = ::read(file->host_fd.get(), buffer.data(), buffer.size());
    // An error after some bytes arrived ends the call as a short read; the next one reports it.
    if (count < 0 && total == 0) return wasi_errno::from_host(errno);
    if (count <= 0) break;
    total += static_cast<std::size_t>(count);
    if (static_cast<std::size_t>(count) < buffer.size()) break;
  }
  host.memory().store_u32(read_pointer, static_cast<std::uint32_t>(total));
  return wasi_errno::kSuccess;
}

// fd_seek(fd, offset, whence, *newoffset): lseek(2) on a file; ftell is fd_seek(0, CUR).
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_seek(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint64_t offset,
    std::uint32_t whence, std::uint32_t offset_pointer) noexcept {
  Host& host = *imports->host;
  std::uint32_t error = 0;
  const GuestFiles::Entry* file = entry_with(host, fd, abi::kRightFdSeek, error);
  if (!file) return error;
  int host_whence = 0;
  switch (whence) {
    case abi::kWhenceSet: host_whence = SEEK_SET; break;
    case abi::kWhenceCur: host_whence = SEEK_CUR; break;
    case abi::kWhenceEnd: host_whence = SEEK_END; break;
    default: return wasi_errno::kInval;
  }
  if (!result_span(host, "wasi fd_seek newoffset", offset_pointer, sizeof(std::uint64_t))) {
    return wasi_errno::kFault;
  }
  const off_t position = ::lseek(file->host_fd.get(), static_cast<off_t>(offset), host_whence);
  if (position < 0) return wasi_errno::from_host(errno);
  host.memory().store_u64(offset_pointer, static_cast<std::uint64_t>(position));
  return wasi_errno::kSuccess;
}

// fd_close(fd): a descriptor the guest opened. The preopens stay for the runner's lifetime.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_close(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd) noexcept {
  GuestFiles& files = imports->host->files();
  if (files.is_preopen(fd)) return wasi_errno::kNotsup;
  return files.close(fd) ? wasi_errno::kSuccess : wasi_errno::kBadf;
}

// fd_fdstat_get(fd, *fdstat): the type and rights of a descriptor. Standard output and error
// are character devices that can only be written, which makes wasi-libc's isatty() true and
// their stdio streams line-buffered.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd,
    std::uint32_t fdstat_pointer) noexcept {
  Host& host = *imports->host;
  const GuestFiles::Entry* entry = host.files().find(fd);
  if (!entry && !is_log(fd)) return wasi_errno::kBadf;
  const auto target = result_span(host, "wasi fd_fdstat_get", fdstat_pointer, abi::kFdstatSize);
  if (!target) return wasi_errno::kFault;
  std::array<std::uint8_t, abi::kFdstatSize> fdstat{};
  if (!entry) {
    put<std::uint8_t>(fdstat, 0, abi::kFiletypeCharacterDevice);
    put<std::uint64_t>(fdstat, 8, kLogRights);
  } else if (entry->kind == GuestFiles::Kind::kDirectory) {
    put<std::uint8_t>(fdstat, 0, abi::kFiletypeDirectory);
    put<std::uint64_t>(fdstat, 8, kDirectoryRights);
    put<std::uint64_t>(fdstat, 16, kInheritedRights);
  } else {
    put<std::uint8_t>(fdstat, 0, abi::kFiletypeRegularFile);
    put<std::uint64_t>(fdstat, 8, kFileRights);
  }
  std::memcpy(target->data(), fdstat.data(), fdstat.size());
  return wasi_errno::kSuccess;
}

// fd_fdstat_set_flags(fd, flags): no descriptor holds the right (append and the sync flags
// are for writing).
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_set_flags(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint32_t) noexcept {
  const bool open = imports->host->files().find(fd) || is_log(fd);
  return open ? wasi_errno::kNotcapable : wasi_errno::kBadf;
}

// fd_filestat_get(fd, *filestat): fstat(2) of an open file or directory.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_filestat_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd,
    std::uint32_t filestat_pointer) noexcept {
  Host& host = *imports->host;
  std::uint32_t error = 0;
  const GuestFiles::Entry* entry = entry_with(host, fd, abi::kRightFdFilestatGet, error);
  if (!entry) return error;
  const auto target =
      result_span(host, "wasi fd_filestat_get", filestat_pointer, abi::kFilestatSize);
  if (!target) return wasi_errno::kFault;
  struct stat status {};
  if (::fstat(entry->host_fd.get(), &status) != 0) return wasi_errno::from_host(errno);
  put_filestat(*target, status);
  return wasi_errno::kSuccess;
}

// path_filestat_get(fd, flags, path, path_len, *filestat): the status of a path beneath
// directory `fd`, resolved as path_open resolves it (wasi-libc's stat and chdir).
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_path_filestat_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint32_t flags,
    std::uint32_t path_pointer, std::uint32_t path_len, std::uint32_t filestat_pointer) noexcept {
  Host& host = *imports->host;
  std::uint32_t error = 0;
  const GuestFiles::Entry* base = entry_with(host, fd, abi::kRightPathFilestatGet, error);
  if (!base) return error;
  if ((flags & ~abi::kLookupSymlinkFollow) != 0) return wasi_errno::kInval;
  std::string path;
  error = guest_path(host, "wasi path_filestat_get path", path_pointer, path_len, path);
  if (error != wasi_errno::kSuccess) return error;
  const auto target =
      result_span(host, "wasi path_filestat_get", filestat_pointer, abi::kFilestatSize);
  if (!target) return wasi_errno::kFault;
  struct stat status {};
  error = host.files().stat(*base, path, (flags & abi::kLookupSymlinkFollow) != 0, status);
  if (error != wasi_errno::kSuccess) return error;
  put_filestat(*target, status);
  return wasi_errno::kSuccess;
}

// fd_readdir(fd, buf, buf_len, cookie, *bufused): listing a directory is not offered (no
// descriptor holds the right). OpenSSL's hashed certificate directories (capath) import it;
// the broker names its CA bundle as a file (cafile) instead.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_fd_readdir(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t fd, std::uint32_t,
    std::uint32_t, std::uint64_t, std::uint32_t) noexcept {
  std::uint32_t error = 0;
  entry_with(*imports->host, fd, abi::kRightFdReaddir, error);
  return error;
}

// environ_sizes_get(*count, *buf_size) and environ_get(environ, environ_buf): the guest's
// environment is empty, so the host cannot steer it (OpenSSL reads OPENSSL_CONF,
// SSL_CERT_FILE and others from it). environ_get has nothing to write.
extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_environ_sizes_get(
    Z_wasi_snapshot_preview1_instance_t* imports, std::uint32_t count_pointer,
    std::uint32_t size_pointer) noexcept {
  Host& host = *imports->host;
  if (!result_span(host, "wasi environ_sizes_get count", count_pointer, sizeof(std::uint32_t)) ||
      !result_span(host, "wasi environ_sizes_get buf_size", size_pointer, sizeof(std::uint32_t))) {
    return wasi_errno::kFault;
  }
  host.memory().store_u32(count_pointer, 0);
  host.memory().store_u32(size_pointer, 0);
  return wasi_errno::kSuccess;
}

extern "C" std::uint32_t Z_wasi_snapshot_preview1Z_environ_get(
    Z_wasi_snapshot_preview1_instance_t*, std::uint32_t, std::uint32_t) noexcept {
  return wasi_errno::kSuccess;
}

// proc_exit(code): the guest gives up. It must not return, so it becomes a trap: the runner
// logs it and re-creates the instance as for any other.
extern "C" void Z_wasi_snapshot_preview1Z_proc_exit(Z_wasi_snapshot_preview1_instance_t* imports,
                                                    std::uint32_t code) noexcept {
  imports->host->calls().log(attestmq::wasm::log_level::kError, "guest called proc_exit(" + std::to_string(code) + ")");
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}
