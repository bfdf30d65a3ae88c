// `attestmq SUBCOMMAND ...`: one binary, one entry per subcommand.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.hpp"

namespace {

struct Subcommand {
  std::string_view name;
  int (*run)(int, char**);
  std::string_view summary;
};

constexpr Subcommand kSubcommands[] = {
    {"broker", attestmq::app::broker_main, "run the MQTT broker"},
    {"pub", attestmq::app::pub_main, "publish messages (like mosquitto_pub)"},
    {"sub", attestmq::app::sub_main, "subscribe and print messages (like mosquitto_sub)"},
    {"bench", attestmq::app::bench_main, "load generator: throughput and latency"},
    {"verify", attestmq::app::verify_main, "verify attestation evidence offline"},
    {"attest", attestmq::app::attest_main, "verify that a broker runs in a TEE (attested session)"},
    {"passwd", attestmq::app::passwd_main, "manage password files (like mosquitto_passwd)"},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: attestmq SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
  for (const auto& sub : kSubcommands) {
    std::fprintf(out, "  %-8.*s %.*s\n", static_cast<int>(sub.name.size()), sub.name.data(),
                 static_cast<int>(sub.summary.size()), sub.summary.data());
  }
  std::fprintf(out, "\n'attestmq SUBCOMMAND --help' describes each one.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const auto& sub : kSubcommands) {
    if (sub.name == name) return sub.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "attestmq: unknown subcommand '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
