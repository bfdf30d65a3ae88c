// The acl_file parser (src/config/acl_file) and the rule evaluation it feeds
// (src/broker/access_control), on arbitrary text.
// Each of the first lines' last word is also a probe: as a topic name it is checked against the
// parsed rules for an anonymous client, for each user the file names and for a client attested
// with each `attested` line's value, and as a filter it is related to the other probes.
// Oracles, beyond "no crash, no sanitizer report":
// - an error names the file and a line that exists;
// - a client that may read a topic may subscribe to it (the topic is a filter matching only
//   itself, and may_subscribe grants a filter some read rule can serve);
// - filter relations agree with matching (MQTT 5.0 section 4.7): a filter matching a topic
//   covers and intersects it, a filter covers itself, and covering implies intersecting.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/access_control.hpp"
#include "config/acl_file.hpp"
#include "mqtt/topic.hpp"

namespace {

using namespace attestmq;

void require(bool condition) {
  if (!condition) std::abort();
}

constexpr std::size_t kMaxProbes = 12;

struct Probes {
  std::vector<std::string_view> words;      // last word of a line
  std::vector<std::string_view> usernames;  // NAME of `user NAME` lines
  std::vector<std::string_view> attested;   // HEX of `attested measurement|module HEX` lines
};

Probes probes_of(std::string_view text) {
  Probes probes;
  for (std::size_t pos = 0; pos <= text.size() && probes.words.size() < kMaxProbes;) {
    const auto end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto space = line.find_last_of(' ');
    const std::string_view word = space == std::string_view::npos ? line : line.substr(space + 1);
    if (word.empty()) continue;
    probes.words.push_back(word);
    if (line.starts_with("user ")) probes.usernames.push_back(word);
    if (line.starts_with("attested ")) probes.attested.push_back(word);
  }
  return probes;
}

void check_filter_relations(const std::vector<std::string_view>& words) {
  for (const auto a : words) {
    if (!mqtt::valid_topic_filter(a)) continue;
    require(broker::filter_covers(a, a));
    for (const auto b : words) {
      if (mqtt::valid_topic_filter(b) && broker::filter_covers(a, b)) {
        require(broker::filters_intersect(a, b));
      }
      if (mqtt::valid_topic_name(b) && mqtt::topic_matches(a, b)) {
        require(broker::filter_covers(a, b) && broker::filters_intersect(a, b));
      }
    }
  }
}

void check_client(const broker::ClientAccess& access, const std::vector<std::string_view>& words) {
  for (const auto topic : words) {
    if (!mqtt::valid_topic_name(topic) || topic.starts_with("$share/")) continue;
    if (access.may_read(topic)) require(access.may_subscribe(topic));
    // Run for the sanitizers: whether a write is allowed has no oracle short of a second
    // implementation of the rules.
    static_cast<void>(access.may_write(topic));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  const config::AclFileResult result = config::parse_acl_file(text, "fuzz.acl");
  const Probes probes = probes_of(text);
  check_filter_relations(probes.words);
  if (const auto* error = std::get_if<config::ConfigError>(&result)) {
    require(error->file == "fuzz.acl" && error->line <= lines && !error->message.empty());
    return 0;
  }
  const auto& rules = std::get<0>(result);
  require(rules != nullptr);
  check_client(*rules->for_client("fuzz-client", std::nullopt), probes.words);
  for (const auto username : probes.usernames) {
    check_client(*rules->for_client("fuzz-client", username), probes.words);
  }
  for (const auto hex : probes.attested) {
    const broker::AttestedClaims claims{"sim", std::string(hex), std::string(hex)};
    check_client(*rules->for_client("fuzz-client", std::nullopt, &claims), probes.words);
  }
  return 0;
}
