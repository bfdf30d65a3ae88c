#include "attest/provider/provider_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace attestmq::attest {

namespace {
constexpr std::size_t kMaxAttributeBytes = 256;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closing reports write errors of some pseudo-files, so the writer checks it.
  int release_and_close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};
}  // namespace

std::optional<std::vector<std::uint8_t>> read_pseudo_file(const std::filesystem::path& path,
                                                          std::size_t max_bytes,
                                                          std::string& error) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    error = fmt::format("{}: {}", path.string(), std::strerror(errno));
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  std::uint8_t chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = fmt::format("{}: read: {}", path.string(), std::strerror(errno));
      return std::nullopt;
    }
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      error = fmt::format("{}: larger than {} bytes", path.string(), max_bytes);
      return std::nullopt;
    }
    out.insert(out.end(), chunk, chunk + n);
  }
}

std::optional<std::string> read_attribute(const std::filesystem::path& path, std::string& error) {
  const auto bytes = read_pseudo_file(path, kMaxAttributeBytes, error);
  if (!bytes) return std::nullopt;
  std::string text(bytes->begin(), bytes->end());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

bool write_pseudo_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       std::string& error) {
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) {
    error = fmt::format("{}: {}", path.string(), std::strerror(errno));
    return false;
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = fmt::format("{}: write: {}", path.string(), std::strerror(errno));
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  if (fd.release_and_close() != 0) {
    error = fmt::format("{}: close: {}", path.string(), std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace attestmq::attest
