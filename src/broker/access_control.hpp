#pragma once
// The rules of a Mosquitto acl_file (mosquitto.conf(5) "acl_file") and their evaluation.
// AccessControl holds the file as parsed; ClientAccess is one client's view of it, built at
// CONNECT with %c and %u already substituted, so that a check per message is a walk over a
// short list of filters that allocates nothing.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/attested_client.hpp"

namespace attestmq::broker {

// The access a rule names; deny is Mosquitto's MOSQ_ACL_NONE and forbids both directions.
enum class AclAccess : std::uint8_t { deny = 0, read = 1, write = 2, readwrite = 3 };

struct AclRule {
  AclAccess access = AclAccess::readwrite;
  std::string filter;  // a topic filter; for a pattern, may hold %c and %u
};

class ClientAccess;

// AttestMQ's extension: what an `attested` section of the acl_file is keyed on
// (docs/configuration.md "acl_file").
enum class AttestedKey : std::uint8_t { measurement, module };

class AccessControl {
 public:
  // `topic` lines: before any `user` line (username nullopt) they apply to anonymous
  // clients, after `user NAME` to that user.
  void add_topic_rule(const std::optional<std::string>& username, AclRule rule);
  // `pattern` lines apply to every client.
  void add_pattern_rule(AclRule rule);
  // `topic` lines after `attested measurement HEX` or `attested module HEX` apply, besides
  // its user's or the anonymous rules, to a client whose mutual attestation established that
  // value (lower-case hex).
  void add_attested_rule(AttestedKey key, const std::string& hex, AclRule rule);

  // The rules that apply to this client, substituted. username nullopt = anonymous;
  // attested null = the client proved nothing about itself.
  std::shared_ptr<const ClientAccess> for_client(std::string_view client_id,
                                                 std::optional<std::string_view> username,
                                                 const AttestedClaims* attested = nullptr) const;

 private:
  std::vector<AclRule> anonymous_rules_;
  std::map<std::string, std::vector<AclRule>, std::less<>> user_rules_;
  std::vector<AclRule> pattern_rules_;
  std::map<std::string, std::vector<AclRule>, std::less<>> measurement_rules_;
  std::map<std::string, std::vector<AclRule>, std::less<>> module_rules_;
};

class ClientAccess {
 public:
  // PUBLISH (and a will) to this topic name.
  bool may_write(std::string_view topic) const;
  // Receiving a message published to this topic name.
  bool may_read(std::string_view topic) const;
  // SUBSCRIBE to this filter ("$share/GROUP/" is looked through). Granted when some read rule
  // can match a topic the filter matches and no deny rule covers the whole filter; each
  // message is still checked with may_read on delivery, so a broad filter only ever yields
  // the topics the client may read.
  bool may_subscribe(std::string_view filter) const;

 private:
  friend class AccessControl;
  bool allowed(std::string_view topic, AclAccess wanted) const;

  std::vector<std::string> denied_;  // deny filters: checked first, always win
  std::vector<AclRule> allowed_;     // read, write and readwrite rules
};

// Filter relations on whole levels, with MQTT 5.0 section 4.7.2's rule that a filter starting
// with a wildcard matches no topic starting with '$'.
// True when some topic name matches both filters.
bool filters_intersect(std::string_view a, std::string_view b);
// True when every topic name that `inner` matches is also matched by `outer`.
bool filter_covers(std::string_view outer, std::string_view inner);

}  // namespace attestmq::broker
