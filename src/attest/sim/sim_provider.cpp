#include "attest/sim/sim_provider.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include "attest/common/hex.hpp"
#include "attest/sim/sim_report.hpp"

namespace attestmq::attest {

std::unique_ptr<SimProvider> SimProvider::open(const std::filesystem::path& key_file,
                                               const std::array<std::uint8_t, 32>& measurement,
                                               std::string& error, const std::filesystem::path& counter_file) {
  auto key = load_or_create_sim_key(key_file, error);
  if (!key) return nullptr;
  std::filesystem::path counter = counter_file.empty() ? std::filesystem::path(key_file.string() + ".counter") : counter_file;
  return std::unique_ptr<SimProvider>(new SimProvider(std::move(key), std::move(counter), measurement));
}

std::string SimProvider::description() const {
  return fmt::format(
      "attestation provider sim: SIMULATED, NO SECURITY (software key, measurement {})",
      to_hex(measurement_));
}

ProviderOutcome SimProvider::evidence(const ReportData& report_data) {
  SimReport report;
  report.measurement = measurement_;
  report.report_data = report_data;
  const auto signature = sim_sign(key_.get(), sim_signed_bytes(report));
  if (!signature) return {std::nullopt, "sim (SIMULATED, NO SECURITY): signing failed"};
  report.signature = *signature;
  return {Evidence{EvidenceType::sim, serialize_sim_report(report)}, {}};
}

SealingKeyOutcome SimProvider::sealing_key() {
  // A real TEE derives its sealing key in hardware from the enclave's identity; the sim has
  // only its software key, so the sealed records are as safe as the key file.
  unsigned char* der = nullptr;
  const int length = i2d_PrivateKey(key_.get(), &der);
  if (length <= 0) return {{}, "sim (SIMULATED, NO SECURITY): cannot read the sim key"};
  static constexpr std::string_view kLabel = "AttestMQ sim sealing key";
  std::vector<std::uint8_t> input(kLabel.begin(), kLabel.end());
  input.insert(input.end(), der, der + length);
  OPENSSL_clear_free(der, static_cast<std::size_t>(length));
  std::vector<std::uint8_t> key(32);
  unsigned int size = 0;
  const bool hashed = EVP_Digest(input.data(), input.size(), key.data(), &size, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(input.data(), input.size());
  if (!hashed) return {{}, "sim (SIMULATED, NO SECURITY): SHA-256 failed"};
  return {std::move(key), {}, "the sim TEE's key file (SIMULATED, NO SECURITY: whoever reads it can unseal)"};
}

CounterOutcome SimProvider::raise_counter(std::uint64_t at_least) {
  const std::string path = counter_file_.string();
  std::uint64_t value = 0;
  // POSIX reads: the Wasm build (which compiles this file too) has no <fstream>.
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    char buffer[32];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    ::close(fd);
    std::string_view text(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
    if (text.ends_with('\n')) text.remove_suffix(1);
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || status != std::errc() || end != text.data() + text.size())
      return {std::nullopt, "sim counter " + path + ": not a number"};
  } else if (errno != ENOENT) {
    return {std::nullopt, "sim counter " + path + ": " + std::strerror(errno)};
  }
  if (at_least <= value) return {value, {}};
  // Written beside, synced, then renamed over: a crash leaves the old value or the new one.
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const std::string text = std::to_string(at_least) + "\n";
  const bool written = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0)
    return {std::nullopt, "sim counter " + path + ": " + std::strerror(errno)};
  // The rename itself is durable only once its directory is synced.
  const std::string directory = counter_file_.has_parent_path() ? counter_file_.parent_path().string() : ".";
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!synced) return {std::nullopt, "sim counter " + path + ": cannot sync " + directory + ": " + std::strerror(errno)};
  return {at_least, {}};
}

}  // namespace attestmq::attest
