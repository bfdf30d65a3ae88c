#pragma once
// MQTT 5.0 section 4.7: topic names, topic filters and wildcards; section 4.8.2: shared
// subscriptions.
#include <cstddef>
#include <optional>
#include <string_view>

namespace attestmq::mqtt {

// A topic name as a PUBLISH carries it: at least one character, no '+' or '#', at most
// 65535 bytes, valid UTF-8 (section 1.5.4).
bool valid_topic_name(std::string_view topic);

// A topic filter: '+' occupies a whole level, '#' only as the whole last level. A
// "$share/GROUP/FILTER" filter is valid when GROUP is non-empty and has no '/', '+' or '#'
// and FILTER is a valid filter.
bool valid_topic_filter(std::string_view filter);

// The number of levels of a topic name or filter (section 4.7.1.1: "a//b" has three); for
// "$share/GROUP/FILTER", those of FILTER.
std::size_t topic_levels(std::string_view topic_or_filter);

// Section 4.7.2: filters starting with a wildcard never match topics starting with '$'.
bool topic_matches(std::string_view filter, std::string_view topic);

struct SharedFilter {
  std::string_view group;
  std::string_view filter;
};

// Splits "$share/GROUP/FILTER"; nullopt for an ordinary filter.
std::optional<SharedFilter> parse_shared_filter(std::string_view filter);

}  // namespace attestmq::mqtt
