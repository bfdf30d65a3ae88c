#include "tls/whole_file.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

namespace attestmq::tls {

std::optional<std::string> read_whole_file(const std::string& path, int& error_number) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    error_number = errno;
    return std::nullopt;
  }
  std::string text;
  char chunk[16384];
  for (;;) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get());
    text.append(chunk, got);
    if (got < sizeof chunk) break;
  }
  // A directory opens on Linux and fails at the first read, with EISDIR.
  if (std::ferror(file.get())) {
    error_number = errno != 0 ? errno : EIO;
    return std::nullopt;
  }
  return text;
}

}  // namespace attestmq::tls
