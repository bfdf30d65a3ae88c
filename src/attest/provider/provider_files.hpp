#pragma once
// Whole-file reads and writes for the pseudo-file interfaces (Gramine's /dev/attestation,
// configfs-tsm): one open, bounded reads, every failure named with its path.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace attestmq::attest {

// Reads until end of file; fails if the file holds more than `max_bytes`.
std::optional<std::vector<std::uint8_t>> read_pseudo_file(const std::filesystem::path& path,
                                                          std::size_t max_bytes,
                                                          std::string& error);
// The file's text with one trailing newline removed (sysfs/configfs attribute style).
std::optional<std::string> read_attribute(const std::filesystem::path& path, std::string& error);
// One open, the whole buffer written, closed: pseudo-files act on the complete write.
bool write_pseudo_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       std::string& error);

}  // namespace attestmq::attest
