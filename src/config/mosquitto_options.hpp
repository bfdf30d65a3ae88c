#pragma once
// Options Mosquitto 2.0 understands that AttestMQ does not implement yet: a configuration
// using one is refused with "not supported yet" rather than "unknown option", so the user
// knows the file is valid Mosquitto syntax and what to remove.
#include <string_view>

namespace attestmq::config {

bool is_unsupported_mosquitto_option(std::string_view name);

}  // namespace attestmq::config
