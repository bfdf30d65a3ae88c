#include "config/value_parsers.hpp"

#include <charconv>
#include <limits>

namespace attestmq::config {

std::string_view trim_blanks(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r";
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_duration_seconds(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::uint64_t unit = 0;
  switch (text.back()) {
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    case 'm': unit = 30 * 86400; break;
    case 'y': unit = 365 * 86400; break;
    default: return std::nullopt;
  }
  const auto count = parse_integer(text.substr(0, text.size() - 1), 1,
                                   std::numeric_limits<std::int64_t>::max() / (365 * 86400));
  if (!count) return std::nullopt;
  return static_cast<std::uint64_t>(*count) * unit;
}

bool is_tee_kind(std::string_view text) {
  return text == "none" || text == "sim" || text == "sgx-gramine" || text == "tsm";
}

}  // namespace attestmq::config
