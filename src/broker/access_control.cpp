// Evaluation of acl_file rules as Mosquitto 2.0's default ACL check does it (mosquitto.conf(5)
// "acl_file"): anonymous clients get the rules before the first `user` line, a user the
// rules of its `user` section, everyone the `pattern` rules; anything not allowed is denied
// and a matching deny rule wins over every allow. AttestMQ adds `attested` sections, whose
// rules a client gets on top of those when its mutual attestation established their key.
#include "broker/access_control.hpp"

#include "mqtt/topic.hpp"

namespace attestmq::broker {

namespace {

std::uint8_t bits(AclAccess access) { return static_cast<std::uint8_t>(access); }

// Walks a topic filter level by level without copying it.
class Levels {
 public:
  explicit Levels(std::string_view text) : rest_(text) {}
  bool next(std::string_view& level) {
    if (done_) return false;
    const auto slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      level = rest_;
      done_ = true;
    } else {
      level = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

std::string_view first_level(std::string_view filter) { return filter.substr(0, filter.find('/')); }
bool is_wildcard(std::string_view level) { return level == "+" || level == "#"; }
bool is_dollar(std::string_view level) { return level.starts_with('$'); }

// Mosquitto substitutes every "%c" and "%u", wherever it appears in the pattern.
std::string substitute(std::string_view pattern, std::string_view client_id,
                       std::optional<std::string_view> username) {
  std::string out;
  out.reserve(pattern.size() + client_id.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      if (pattern[i + 1] == 'c') {
        out += client_id;
        ++i;
        continue;
      }
      if (pattern[i + 1] == 'u' && username) {
        out += *username;
        ++i;
        continue;
      }
    }
    out += pattern[i];
  }
  return out;
}

}  // namespace

bool filters_intersect(std::string_view a, std::string_view b) {
  const auto a0 = first_level(a);
  const auto b0 = first_level(b);
  if ((is_wildcard(a0) && is_dollar(b0)) || (is_wildcard(b0) && is_dollar(a0))) return false;
  Levels x(a);
  Levels y(b);
  std::string_view la;
  std::string_view lb;
  for (;;) {
    const bool has_a = x.next(la);
    const bool has_b = y.next(lb);
    if (!has_a && !has_b) return true;
    // Section 4.7.1.2: '#' also matches the parent level, so "a/#" meets "a".
    if (!has_a) return lb == "#";
    if (!has_b) return la == "#";
    if (la == "#" || lb == "#") return true;
    if (la != "+" && lb != "+" && la != lb) return false;
  }
}

bool filter_covers(std::string_view outer, std::string_view inner) {
  if (is_wildcard(first_level(outer)) && is_dollar(first_level(inner))) return false;
  Levels o(outer);
  Levels i(inner);
  std::string_view lo;
  std::string_view li;
  for (;;) {
    const bool has_outer = o.next(lo);
    const bool has_inner = i.next(li);
    if (!has_outer && !has_inner) return true;
    if (has_outer && lo == "#") return true;
    if (!has_outer || !has_inner) return false;
    if (li == "#") return false;
    if (lo == "+") continue;
    if (li == "+" || li != lo) return false;
  }
}

void AccessControl::add_topic_rule(const std::optional<std::string>& username, AclRule rule) {
  if (username)
    user_rules_[*username].push_back(std::move(rule));
  else
    anonymous_rules_.push_back(std::move(rule));
}

void AccessControl::add_pattern_rule(AclRule rule) { pattern_rules_.push_back(std::move(rule)); }

void AccessControl::add_attested_rule(AttestedKey key, const std::string& hex, AclRule rule) {
  auto& rules = key == AttestedKey::measurement ? measurement_rules_ : module_rules_;
  rules[hex].push_back(std::move(rule));
}

std::shared_ptr<const ClientAccess> AccessControl::for_client(
    std::string_view client_id, std::optional<std::string_view> username,
    const AttestedClaims* attested) const {
  auto access = std::make_shared<ClientAccess>();
  auto add = [&](AclAccess kind, std::string filter) {
    if (kind == AclAccess::deny)
      access->denied_.push_back(std::move(filter));
    else
      access->allowed_.push_back({kind, std::move(filter)});
  };
  const std::vector<AclRule>* own = &anonymous_rules_;
  if (username) {
    auto it = user_rules_.find(*username);
    own = it == user_rules_.end() ? nullptr : &it->second;
  }
  if (own) {
    for (const AclRule& rule : *own) add(rule.access, rule.filter);
  }
  if (attested) {
    for (const auto& [rules, value] : {std::pair{&measurement_rules_, &attested->measurement},
                                       std::pair{&module_rules_, &attested->module_sha256}}) {
      const auto it = rules->find(*value);
      if (it == rules->end()) continue;
      for (const AclRule& rule : it->second) add(rule.access, rule.filter);
    }
  }
  // Mosquitto grants nothing by pattern to a client whose id or username holds '+' or '#':
  // substituted into a filter they would reach other clients' topics. Deny patterns stay,
  // since a wider deny only takes away.
  const bool dangerous = client_id.find_first_of("+#") != std::string_view::npos ||
                         (username && username->find_first_of("+#") != std::string_view::npos);
  for (const AclRule& rule : pattern_rules_) {
    // A pattern naming the username never matches an anonymous client.
    if (!username && rule.filter.find("%u") != std::string::npos) continue;
    if (dangerous && rule.access != AclAccess::deny) continue;
    add(rule.access, substitute(rule.filter, client_id, username));
  }
  return access;
}

bool ClientAccess::allowed(std::string_view topic, AclAccess wanted) const {
  for (const std::string& filter : denied_) {
    if (mqtt::topic_matches(filter, topic)) return false;
  }
  for (const AclRule& rule : allowed_) {
    if ((bits(rule.access) & bits(wanted)) != 0 && mqtt::topic_matches(rule.filter, topic))
      return true;
  }
  return false;
}

bool ClientAccess::may_write(std::string_view topic) const {
  return allowed(topic, AclAccess::write);
}

bool ClientAccess::may_read(std::string_view topic) const {
  return allowed(topic, AclAccess::read);
}

bool ClientAccess::may_subscribe(std::string_view filter) const {
  if (auto shared = mqtt::parse_shared_filter(filter)) filter = shared->filter;
  for (const std::string& deny : denied_) {
    if (filter_covers(deny, filter)) return false;
  }
  for (const AclRule& rule : allowed_) {
    if ((bits(rule.access) & bits(AclAccess::read)) != 0 && filters_intersect(rule.filter, filter))
      return true;
  }
  return false;
}

}  // namespace attestmq::broker
