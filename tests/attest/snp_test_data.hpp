#pragma once
// The go-sev-guest Milan vector (tests/data/attest/go-sev-guest-milan/SOURCE.txt): a real
// SEV-SNP report, its VCEK and the Milan ASK/ARK, and the facts the tests compare against.
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace attestmq::attest::snp_test {

inline std::vector<std::uint8_t> read_vector_file(const std::string& name) {
  const std::string path =
      std::string(ATTESTMQ_TEST_DATA_DIR) + "/attest/go-sev-guest-milan/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string read_vector_text(const std::string& name) {
  const auto bytes = read_vector_file(name);
  return {bytes.begin(), bytes.end()};
}

// 2024-01-01T00:00:00Z: inside the VCEK's validity (2022-09-24 to 2029-09-24) and the
// ASK's and ARK's (2020-10-22 to 2045-10-22).
inline constexpr std::int64_t kInsideValidity = 1704067200;

// Values read from the report with xxd and from the VCEK with openssl asn1parse.
inline constexpr const char* kMeasurement =
    "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b"
    "6bdf8a9ece31a5a608eb0cf2e4872b01";
inline constexpr const char* kChipId =
    "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e5378618"
    "4ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d";
inline constexpr std::uint64_t kReportedTcb = 0x4405000000000002;
inline constexpr std::uint64_t kPolicy = 0xb0000;

}  // namespace attestmq::attest::snp_test
