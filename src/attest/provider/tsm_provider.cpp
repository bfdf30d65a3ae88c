#include "attest/provider/tsm_provider.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "attest/envelope/envelope.hpp"
#include "attest/provider/provider_files.hpp"

namespace attestmq::attest {

namespace {
// configfs-tsm ABI: "inblob: (WO) Up to 64 bytes of user specified binary data."
constexpr std::size_t kMaxInblobBytes = 64;

std::optional<EvidenceType> type_of_provider(std::string_view provider) {
  if (provider == "tdx_guest") return EvidenceType::tdx;
  if (provider == "sev_guest") return EvidenceType::snp;
  return std::nullopt;
}
}  // namespace

std::unique_ptr<TsmProvider> TsmProvider::open(const std::filesystem::path& root,
                                               const std::string& entry_name, std::string& error) {
  if (entry_name.empty() || entry_name.find('/') != std::string::npos || entry_name == "." ||
      entry_name == "..") {
    error = fmt::format("configfs-tsm entry name '{}' is not a single path component", entry_name);
    return nullptr;
  }
  const auto entry = root / "report" / entry_name;
  // configfs creates the attributes when the directory is made; an existing entry is reused.
  if (::mkdir(entry.c_str(), 0700) != 0 && errno != EEXIST) {
    error = fmt::format("{}: mkdir: {}", entry.string(), std::strerror(errno));
    return nullptr;
  }
  auto provider = read_attribute(entry / "provider", error);
  if (!provider) return nullptr;
  const auto type = type_of_provider(*provider);
  if (!type) {
    error = fmt::format("{}: unsupported TSM provider '{}' (expected tdx_guest or sev_guest)",
                        (entry / "provider").string(), *provider);
    return nullptr;
  }
  return std::unique_ptr<TsmProvider>(new TsmProvider(entry, *provider, *type));
}

std::string TsmProvider::description() const {
  return fmt::format("attestation provider tsm: {} evidence from {} ({})", to_string(type_),
                     entry_.string(), provider_);
}

std::optional<std::uint64_t> TsmProvider::generation(std::string& error) const {
  const auto text = read_attribute(entry_ / "generation", error);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, status] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (status != std::errc{} || end != text->data() + text->size() || text->empty()) {
    error = fmt::format("{}: '{}' is not a number", (entry_ / "generation").string(), *text);
    return std::nullopt;
  }
  return value;
}

ProviderOutcome TsmProvider::report(std::span<const std::uint8_t> inblob) {
  if (inblob.size() > kMaxInblobBytes) {
    return {{},
            fmt::format("configfs-tsm inblob takes at most {} bytes, got {}", kMaxInblobBytes,
                        inblob.size())};
  }
  std::string error;
  const auto before = generation(error);
  if (!before) return {{}, error};
  if (!write_pseudo_file(entry_ / "inblob", inblob, error)) return {{}, error};
  auto outblob = read_pseudo_file(entry_ / "outblob", kMaxEvidenceBytes, error);
  if (!outblob) return {{}, error};
  const auto provider = read_attribute(entry_ / "provider", error);
  if (!provider) return {{}, error};
  const auto after = generation(error);
  if (!after) return {{}, error};
  if (*after != *before + 1) {
    return {{},
            fmt::format("{}: generation went from {} to {} across our request: another "
                        "writer raced us, outblob discarded",
                        entry_.string(), *before, *after)};
  }
  if (*provider != provider_) {
    return {{},
            fmt::format("{}: provider changed from '{}' to '{}'", entry_.string(), provider_,
                        *provider)};
  }
  if (outblob->empty()) return {{}, fmt::format("{}: empty outblob", entry_.string())};
  return {Evidence{type_, std::move(*outblob)}, {}};
}

}  // namespace attestmq::attest
