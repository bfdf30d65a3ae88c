#pragma once
// The guest's open files: the runner's own table of small descriptor numbers, never the host's.
// Descriptors 0 to 2 are standard input, output and error (not in the table); the preopened
// directories come next, from 3 in the order given, for the runner's lifetime; the files and
// directories the guest opens take the lowest free number after them, at most kMaxOpened of
// them at a time. Everything is read-only: a directory is only a base for opening beneath it.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/unique_fd.hpp"

namespace attestmq::wasm {

// A host directory the guest sees under `guest_path` (what wasi-libc matches absolute paths
// against, e.g. "/").
struct Preopen {
  std::string guest_path;
  std::string host_directory;
};

class GuestFiles {
 public:
  static constexpr std::uint32_t kFirstPreopen = 3;
  static constexpr std::size_t kMaxOpened = 64;

  enum class Kind { kDirectory, kRegularFile };

  struct Entry {
    server::UniqueFd host_fd;
    Kind kind;
  };

  // Opens each preopen's host directory (as a path only: it can be a base for openat2, not
  // read); throws std::runtime_error naming the first that cannot be opened.
  explicit GuestFiles(const std::vector<Preopen>& preopens);

  // The open descriptor `fd`, or nullptr.
  const Entry* find(std::uint32_t fd) const;
  // The guest path of preopen `fd`, or nullptr if `fd` is not a preopen.
  const std::string* preopen_path(std::uint32_t fd) const;

  // A new guest descriptor, or the WASI errno that refused it (fd is then 0).
  struct Opened {
    std::uint32_t fd = 0;
    std::uint32_t error = 0;
  };
  // Opens `path` beneath directory `base` (an open descriptor; a file as base fails with
  // ENOTDIR): a directory if `directory` is set (as a path only, a base for later opens),
  // else a regular file for reading. `follow` says whether a symbolic link as the last
  // component is followed. EMFILE once kMaxOpened descriptors are open.
  Opened open(const Entry& base, const std::string& path, bool directory, bool follow);

  // The status of `path` beneath `base`, resolved as open() does, or the WASI errno.
  std::uint32_t stat(const Entry& base, const std::string& path, bool follow,
                     struct stat& status) const;

  // Closes a descriptor the guest opened; preopens stay. False if `fd` is not one.
  bool close(std::uint32_t fd);
  bool is_preopen(std::uint32_t fd) const;

  // Closes every descriptor the guest opened: a re-created instance starts with the preopens
  // only.
  void close_opened();
  std::size_t opened_count() const;

 private:
  std::vector<std::string> preopen_paths_;
  // Index i is guest descriptor kFirstPreopen + i; a free slot is empty.
  std::vector<std::optional<Entry>> entries_;
};

}  // namespace attestmq::wasm
