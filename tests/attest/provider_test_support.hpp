#pragma once
// Shared by the attestation tests of envelopes, providers, policy and the dispatcher: test
// data paths, whole-file reads, envelopes from file-based providers and a scratch directory
// removed at the end of each test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "../support/scratch_dir.hpp"
#include "attest/provider/provider.hpp"

namespace attestmq::attest::testing {

inline std::filesystem::path attest_data(const std::string& relative) {
  return std::filesystem::path(ATTESTMQ_TEST_DATA_DIR) / "attest" / relative;
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file) << path;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(file),
                                   std::istreambuf_iterator<char>());
}

inline std::string read_text(const std::filesystem::path& path) {
  const auto bytes = read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

// The envelope a file-based provider (`kind` "sgx-gramine" or "tsm") rooted at `root`
// produces for `claims`; nullopt with `error` if it cannot start or refuses.
inline std::optional<std::vector<std::uint8_t>> envelope_from(const std::string& kind,
                                                              const std::filesystem::path& root,
                                                              const Claims& claims,
                                                              std::string& error) {
  ProviderConfig config;
  config.kind = kind;
  config.root = root;
  auto provider = make_provider(config, error);
  if (!provider) return std::nullopt;
  return produce_envelope(*provider, claims, error);
}

using attestmq::testing::ScratchDir;

}  // namespace attestmq::attest::testing
