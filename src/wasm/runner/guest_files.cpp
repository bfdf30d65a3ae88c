#include "wasm/runner/guest_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "wasm/runner/wasi_errno.hpp"

namespace attestmq::wasm {

namespace {

// Resolves `path` with openat2(2) so that the kernel itself keeps every step beneath `base`:
// RESOLVE_BENEATH refuses "..", absolute paths and symbolic links that would leave it
// (EXDEV), RESOLVE_NO_MAGICLINKS refuses /proc/<pid>/fd-style links. A lexical check in the
// runner instead would have to refuse every ".." (breaking "../certs/ca.pem" below the guest's
// working directory) and would race with symbolic links changed underneath it. A kernel
// without openat2 (or a library OS that lacks it) answers ENOSYS, and so does every open:
// the runner fails closed rather than resolving paths itself.
server::UniqueFd open_beneath(int base, const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = syscall(SYS_openat2, base, path.c_str(), &how, sizeof how);
  return server::UniqueFd(static_cast<int>(fd));
}

std::uint64_t follow_flag(bool follow) { return follow ? 0 : O_NOFOLLOW; }

}  // namespace

GuestFiles::GuestFiles(const std::vector<Preopen>& preopens) {
  for (const Preopen& preopen : preopens) {
    server::UniqueFd fd(::open(preopen.host_directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      throw std::runtime_error("cannot preopen " + preopen.host_directory + " for the guest as " +
                               preopen.guest_path + ": " + std::strerror(errno));
    }
    preopen_paths_.push_back(preopen.guest_path);
    entries_.emplace_back(Entry{std::move(fd), Kind::kDirectory});
  }
}

const GuestFiles::Entry* GuestFiles::find(std::uint32_t fd) const {
  if (fd < kFirstPreopen || fd - kFirstPreopen >= entries_.size()) return nullptr;
  const auto& entry = entries_[fd - kFirstPreopen];
  return entry ? &*entry : nullptr;
}

const std::string* GuestFiles::preopen_path(std::uint32_t fd) const {
  return is_preopen(fd) ? &preopen_paths_[fd - kFirstPreopen] : nullptr;
}

bool GuestFiles::is_preopen(std::uint32_t fd) const {
  return fd >= kFirstPreopen && fd - kFirstPreopen < preopen_paths_.size();
}

GuestFiles::Opened GuestFiles::open(const Entry& base, const std::string& path, bool directory,
                                    bool follow) {
  if (opened_count() >= kMaxOpened) return {.error = wasi_errno::kMfile};
  // A directory is opened as a path only; a file without blocking, so that a FIFO planted
  // under the path cannot stall the runner before its type is seen.
  const std::uint64_t flags = directory ? O_PATH | O_DIRECTORY : O_RDONLY | O_NOCTTY | O_NONBLOCK;
  server::UniqueFd fd = open_beneath(base.host_fd.get(), path, flags | follow_flag(follow));
  if (!fd) return {.error = wasi_errno::from_host(errno)};
  struct stat status {};
  if (fstat(fd.get(), &status) != 0) return {.error = wasi_errno::from_host(errno)};
  if (!directory && S_ISDIR(status.st_mode)) return {.error = wasi_errno::kIsdir};
  // Configuration, keys and certificates are regular files; devices, FIFOs and sockets are
  // not offered.
  if (!directory && !S_ISREG(status.st_mode)) return {.error = wasi_errno::kAcces};
  std::size_t slot = preopen_paths_.size();
  while (slot < entries_.size() && entries_[slot]) ++slot;
  if (slot == entries_.size()) entries_.emplace_back();
  entries_[slot].emplace(Entry{std::move(fd), directory ? Kind::kDirectory : Kind::kRegularFile});
  return {.fd = kFirstPreopen + static_cast<std::uint32_t>(slot)};
}

std::uint32_t GuestFiles::stat(const Entry& base, const std::string& path, bool follow,
                               struct stat& status) const {
  const server::UniqueFd fd = open_beneath(base.host_fd.get(), path, O_PATH | follow_flag(follow));
  if (!fd) return wasi_errno::from_host(errno);
  if (fstat(fd.get(), &status) != 0) return wasi_errno::from_host(errno);
  return wasi_errno::kSuccess;
}

bool GuestFiles::close(std::uint32_t fd) {
  if (!find(fd) || is_preopen(fd)) return false;
  entries_[fd - kFirstPreopen].reset();
  return true;
}

void GuestFiles::close_opened() { entries_.resize(preopen_paths_.size()); }

std::size_t GuestFiles::opened_count() const {
  std::size_t count = 0;
  for (std::size_t i = preopen_paths_.size(); i < entries_.size(); ++i) {
    if (entries_[i]) ++count;
  }
  return count;
}

}  // namespace attestmq::wasm
