#pragma once
// Lower-case hexadecimal, the form every measurement and digest takes in claims, policies
// and CLI output.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attestmq::attest {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Accepts upper or lower case; nullopt for an odd length or a non-hex character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace attestmq::attest
