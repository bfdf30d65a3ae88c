#include "attest/common/iso8601.hpp"

#include <fmt/format.h>

#include <chrono>

namespace attestmq::attest {

namespace {
// Parses exactly `width` decimal digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}
}  // namespace

std::optional<std::int64_t> parse_iso8601_utc(std::string_view text) {
  using namespace std::chrono;
  const auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !mo || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)},
                            day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t seconds = 0;
  if (text.size() != 10) {
    if (text.size() < 20) return std::nullopt;
    const auto h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
    if (!h || !mi || !s || text[10] != 'T' || text[13] != ':' || text[16] != ':' || *h > 23 ||
        *mi > 59 || *s > 60 || text.back() != 'Z') {
      return std::nullopt;
    }
    // Optional fraction between the seconds and the 'Z'.
    const std::string_view fraction = text.substr(19, text.size() - 20);
    if (!fraction.empty() &&
        (fraction[0] != '.' || fraction.size() < 2 ||
         fraction.substr(1).find_first_not_of("0123456789") != std::string_view::npos)) {
      return std::nullopt;
    }
    seconds = std::int64_t{*h} * 3600 + std::int64_t{*mi} * 60 + *s;
  }
  return sys_days{date}.time_since_epoch().count() * std::int64_t{86400} + seconds;
}

std::string format_iso8601_utc(std::int64_t unix_seconds) {
  using namespace std::chrono;
  // Floor division, so instants before 1970 land on the right day.
  const std::int64_t day_count =
      unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
  const year_month_day date{sys_days{days{day_count}}};
  const std::int64_t rest = unix_seconds - day_count * 86400;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     rest / 3600, rest / 60 % 60, rest % 60);
}

}  // namespace attestmq::attest
