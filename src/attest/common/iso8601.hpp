#pragma once
// UTC instants as the CLI (--at) and collateral (issueDate) write them: ISO 8601
// "YYYY-MM-DDThh:mm:ssZ" (fractional seconds allowed and ignored) or a date "YYYY-MM-DD".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attestmq::attest {

std::optional<std::int64_t> parse_iso8601_utc(std::string_view text);
std::string format_iso8601_utc(std::int64_t unix_seconds);

}  // namespace attestmq::attest
