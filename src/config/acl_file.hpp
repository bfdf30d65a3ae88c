#pragma once
// Mosquitto 2.0's acl_file (mosquitto.conf(5) "acl_file"):
//   topic [read|write|readwrite|deny] FILTER    before any `user` line: anonymous clients
//   user NAME                                   starts the rules of that user
//   pattern [read|write|readwrite|deny] FILTER  every client, %c = client id, %u = username
// and AttestMQ's extension (docs/configuration.md "acl_file"):
//   attested measurement HEX | attested module HEX
//                                starts rules for clients whose mutual attestation
//                                (docs/attestation.md section 7.7) established that value
// The access defaults to readwrite; FILTER is the rest of the line and may hold spaces
// (then the access must be given). Blank lines and lines whose first non-blank character is
// '#' are ignored.
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "broker/access_control.hpp"
#include "config/config_parser.hpp"

namespace attestmq::config {

using AclFileResult = std::variant<std::shared_ptr<const broker::AccessControl>, ConfigError>;

// Errors name FILE:LINE, e.g. "acl:4: expected read, write, readwrite or deny, got 'rw'".
AclFileResult parse_acl_file(std::string_view text, std::string_view file_name);
AclFileResult load_acl_file(const std::string& path);

}  // namespace attestmq::config
