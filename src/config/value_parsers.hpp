#pragma once
// Strict parsers for option values. Each returns nullopt on anything but a complete, in-range
// value, so the caller can name the option and the offending text in its error.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attestmq::config {

// `text` without leading and trailing blanks (space, tab, carriage return).
std::string_view trim_blanks(std::string_view text);

// 'text', as error messages show an offending value.
std::string in_quotes(std::string_view text);

// "true" or "false", as Mosquitto spells booleans.
std::optional<bool> parse_bool(std::string_view text);

// The attestation providers `tee` and `--tee` name (DESIGN.md section 4).
bool is_tee_kind(std::string_view text);

// A decimal integer in [min, max], optional leading '-' only when min < 0.
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max);

// Mosquitto's duration syntax for persistent_client_expiration: a positive count followed
// by h (hour), d (day), w (week), m (month = 30 days) or y (year = 365 days). Seconds.
std::optional<std::uint64_t> parse_duration_seconds(std::string_view text);

}  // namespace attestmq::config
