#include "attest/common/text_file.hpp"

#include <array>
#include <cstdio>
#include <memory>

namespace attestmq::attest {

namespace {
struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
}  // namespace

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return std::nullopt;
  std::string text;
  std::array<char, 4096> chunk;
  while (const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get())) {
    text.append(chunk.data(), n);
  }
  // A read error (a directory, an I/O error) is not the end of the file.
  if (std::ferror(file.get()) != 0) return std::nullopt;
  return text;
}

}  // namespace attestmq::attest
