#include "mqtt/topic.hpp"

#include <algorithm>

#include "mqtt/utf8.hpp"

namespace attestmq::mqtt {
namespace {

constexpr std::size_t kMaxTopicBytes = 65535;  // section 4.7.3: a UTF-8 string's limit
constexpr std::string_view kSharePrefix = "$share/";

// Splits off the next '/'-separated level of `rest`; `rest` becomes what follows the '/'
// (and `last` tells whether there was one).
std::string_view next_level(std::string_view& rest, bool& last) {
  const auto slash = rest.find('/');
  last = slash == std::string_view::npos;
  const auto level = rest.substr(0, slash);
  rest = last ? std::string_view{} : rest.substr(slash + 1);
  return level;
}

bool valid_plain_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxTopicBytes || !valid_utf8(filter)) return false;
  bool last = false;
  std::string_view rest = filter;
  while (!last) {
    const auto level = next_level(rest, last);
    // Section 4.7.1.2: '#' must be the whole of the last level.
    if (level.find('#') != std::string_view::npos && (level.size() != 1 || !last)) return false;
    // Section 4.7.1.3: '+' must occupy an entire level.
    if (level.find('+') != std::string_view::npos && level.size() != 1) return false;
  }
  return true;
}

}  // namespace

bool valid_topic_name(std::string_view topic) {
  // Section 4.7.3: at least one character; section 4.7.1: no wildcards in a topic name.
  return !topic.empty() && topic.size() <= kMaxTopicBytes && valid_utf8_without_wildcards(topic);
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.starts_with(kSharePrefix)) {
    const auto shared = parse_shared_filter(filter);
    return shared.has_value() && valid_plain_filter(shared->filter);
  }
  return valid_plain_filter(filter);
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  // Section 4.7.2: a filter starting with a wildcard does not match a topic starting with '$'.
  if (topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'))) {
    return false;
  }
  bool filter_last = false;
  bool topic_last = false;
  while (true) {
    const auto f = next_level(filter, filter_last);
    if (f == "#") return true;
    const auto t = next_level(topic, topic_last);
    if (f != "+" && f != t) return false;
    if (filter_last && topic_last) return true;
    // Section 4.7.1.2: "sport/#" also matches the parent level "sport".
    if (topic_last) return filter == "#";
    if (filter_last) return false;
  }
}

std::optional<SharedFilter> parse_shared_filter(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return std::nullopt;
  const auto rest = filter.substr(kSharePrefix.size());
  const auto slash = rest.find('/');
  // Section 4.8.2: ShareName is at least one character, has no '/', '+' or '#', and is
  // followed by '/' and a topic filter.
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const auto group = rest.substr(0, slash);
  if (group.find_first_of("+#") != std::string_view::npos) return std::nullopt;
  return SharedFilter{group, rest.substr(slash + 1)};
}

std::size_t topic_levels(std::string_view topic_or_filter) {
  if (const auto shared = parse_shared_filter(topic_or_filter)) topic_or_filter = shared->filter;
  return static_cast<std::size_t>(std::count(topic_or_filter.begin(), topic_or_filter.end(), '/')) + 1;
}

}  // namespace attestmq::mqtt
