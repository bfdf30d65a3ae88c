#pragma once
// The `connect` scenario: each of N clients opens a connection (TCP, and TLS with --tls),
// sends CONNECT, waits for CONNACK, sends DISCONNECT and closes, then starts over, for the
// whole run. It measures connections per second and the time from socket(2) to CONNACK, which
// includes the TCP handshake and the TLS handshake, and with --attest the AUTH exchange of
// transport B with the verification of the broker's evidence.
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench_cpu.hpp"
#include "bench_histogram.hpp"
#include "bench_options.hpp"
#include "bench_timeline.hpp"

namespace attestmq::app::bench {

struct ConnectReport {
  std::uint64_t completed = 0;  // CONNACKs received inside the measurement window
  double seconds = 0;           // the window, shorter if a stop signal ended it
  bool stopped = false;
  double per_s = 0;
  // --attest over auth: the completed connections whose evidence was cached-mode (section
  // 6.2); the rest had per-session evidence.
  std::uint64_t cached_evidence = 0;
  LatencyHistogram latency;     // socket(2) to CONNACK of those connections
  // --attest: the generator's time verifying evidence (docs/attestation.md section 7.5), over
  // the connections completed in the window, so the cost splits into production (broker
  // CPU), verification (this) and transport (the rest of the latency).
  std::uint64_t verify_ns = 0;
  CpuTime generator_cpu;
  double generator_busy = 0;  // its CPU time over its threads' time
  std::optional<CpuTime> broker_cpu;
};

// Runs the scenario on options.threads event loops; false with `error` set when a connection
// failed or the broker refused one.
bool run_connect_scenario(const Options& options, const sockaddr_storage& address,
                          socklen_t address_size, ConnectReport& report, std::string& error);

void print_text(const Options& options, const ConnectReport& report, std::FILE* out);
nlohmann::json to_json(const Options& options, const ConnectReport& report);

}  // namespace attestmq::app::bench
