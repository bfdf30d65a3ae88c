#pragma once
// mosquitto(8)'s command line, shared by `attestmq broker` and `attestmq-enclave`: the same
// flags, the same help, the same configuration they lead to (DESIGN.md section 4).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "config/config_parser.hpp"

namespace attestmq::app {

struct BrokerFlags {
  std::string config_file;  // -c; empty: local-only mode
  std::vector<int> ports;   // -p, repeatable
  bool verbose = false;     // -v
  bool daemon = false;      // -d
  std::string tee;          // --tee; empty: the file's `tee`
};

// Adds -c, -p, -v, -d and --tee to `app`, filling `flags` when it parses.
void add_broker_flags(CLI::App& app, BrokerFlags& flags);

// The configuration the flags name: the file (or local-only mode) with -p, -v and --tee
// applied over it.
config::ConfigResult load_broker_config(const BrokerFlags& flags);

}  // namespace attestmq::app
