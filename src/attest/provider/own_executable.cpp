#include "attest/provider/own_executable.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

namespace attestmq::attest {

std::optional<std::array<std::uint8_t, 32>> own_executable_sha256(std::string& error) {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  if (!file || !context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    error = "cannot read /proc/self/exe to measure this program";
    return std::nullopt;
  }
  std::vector<char> chunk(1 << 20);  // streamed: a sanitized build is over 100 MB
  while (file.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || file.gcount() > 0) {
    EVP_DigestUpdate(context.get(), chunk.data(), static_cast<std::size_t>(file.gcount()));
  }
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  return digest;
}

}  // namespace attestmq::attest
