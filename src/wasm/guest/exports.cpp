// The engine ABI: what the module exports to the runner (docs/architecture.md, "The engine
// ABI"). Bytes come in through one guest buffer the runner asks for with
// attestmq_input_buffer and fills before the call that reads it; every length is checked
// here against that buffer, as the runner checks every pointer the guest hands it.
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "attest/envelope/claims.hpp"
#include "config/config_parser.hpp"
#include "wasm/guest/guest_broker.hpp"
#include "wasm/guest/host_imports.hpp"

#define ATTESTMQ_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace {

std::unique_ptr<attestmq::wasm::guest::GuestBroker> broker;
std::vector<std::uint8_t> input;

void log_error(std::string_view line) {
  attestmq_host_log(static_cast<std::uint32_t>(attestmq::broker::LogLevel::error), line.data(),
                    static_cast<std::uint32_t>(line.size()));
}

std::span<const std::uint8_t> input_bytes(std::uint32_t length) {
  return {input.data(), std::min<std::size_t>(length, input.size())};
}

// The configure arguments: "NAME=VALUE" items separated by NUL bytes (docs/architecture.md).
struct Arguments {
  std::string config_file;
  std::string working_directory;
  attestmq::config::CommandLine command_line;
  attestmq::wasm::guest::GuestBroker::Tee tee;
};

// 64 hex digits, as --print-measurement shows them.
bool parse_sha256(std::string_view hex, std::array<std::uint8_t, 32>& out) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto [end, status] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, out[i], 16);
    if (status != std::errc() || end != hex.data() + 2 * i + 2) return false;
  }
  return true;
}

bool parse_arguments(std::string_view text, Arguments& arguments, std::string& error) {
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\0'), text.size());
    const std::string_view item = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const std::size_t equals = item.find('=');
    const std::string_view name = item.substr(0, equals);
    const std::string value(equals == std::string_view::npos ? "" : item.substr(equals + 1));
    if (name == "config") {
      arguments.config_file = value;
    } else if (name == "cwd") {
      arguments.working_directory = value;
    } else if (name == "port") {
      // Every character a digit and nothing after: the host is not trusted to send a number.
      std::uint16_t port = 0;
      const auto [end, status] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (value.empty() || status != std::errc() || end != value.data() + value.size()) {
        error = "configure: bad port " + value;
        return false;
      }
      arguments.command_line.ports.push_back(port);
    } else if (name == "verbose") {
      arguments.command_line.verbose = value == "1";
    } else if (name == "tee") {
      arguments.command_line.tee = value;
    } else if (name == "evidence_type") {
      arguments.tee.evidence_type = attestmq::attest::evidence_type_from_string(value);
      if (!arguments.tee.evidence_type) {
        error = "configure: unknown evidence type " + value;
        return false;
      }
    } else if (name == "counter") {
      arguments.tee.has_counter = value == "1";
    } else if (name == "module_sha256") {
      if (!parse_sha256(value, arguments.tee.module_sha256)) {
        error = "configure: module_sha256 is not 64 hex digits: " + value;
        return false;
      }
    } else {
      error = "configure: unknown argument " + std::string(name);
      return false;
    }
  }
  return true;
}

}  // namespace

// A buffer of at least `length` bytes for the runner to write the next call's input into.
ATTESTMQ_EXPORT("attestmq_input_buffer") std::uint32_t attestmq_input_buffer(std::uint32_t length) {
  if (input.size() < length) input.resize(length);
  return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(input.data()));
}

// Reads the configuration (arguments in the input buffer) and builds the broker. 0 on
// success; otherwise the reason was logged and the runner must not go on.
ATTESTMQ_EXPORT("attestmq_configure") std::uint32_t attestmq_configure(std::uint32_t length) {
  const auto bytes = input_bytes(length);
  Arguments arguments;
  std::string error;
  if (!parse_arguments({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, arguments, error)) {
    log_error(error);
    return 1;
  }
  // Relative paths in the configuration are relative to the runner's working directory.
  if (!arguments.working_directory.empty() && ::chdir(arguments.working_directory.c_str()) != 0) {
    log_error("configure: cannot enter " + arguments.working_directory);
    return 1;
  }
  auto loaded = arguments.config_file.empty()
                    ? attestmq::config::default_config(arguments.command_line)
                    : attestmq::config::load_config_file(arguments.config_file, arguments.command_line);
  if (const auto* config_error = std::get_if<attestmq::config::ConfigError>(&loaded)) {
    log_error(config_error->to_string());
    return 1;
  }
  broker = attestmq::wasm::guest::GuestBroker::create(
      std::get<attestmq::config::BrokerConfig>(std::move(loaded)), arguments.tee, error);
  if (!broker) {
    log_error(error);
    return 1;
  }
  return 0;
}

// One record of the runner's database at start: its name then its sealed value in the input
// buffer. 0 if taken; otherwise the database is refused (attestmq_restore_end says why).
ATTESTMQ_EXPORT("attestmq_restore")
std::uint32_t attestmq_restore(std::uint32_t kind, std::uint32_t name_length, std::uint32_t value_length) {
  if (!broker) return 1;
  // The lengths are the runner's: checked against the buffer, without overflowing.
  if (std::uint64_t{name_length} + value_length > input.size()) return 1;
  const std::span<const std::uint8_t> bytes(input.data(), input.size());
  return broker->restore_record(kind, bytes.first(name_length), bytes.subspan(name_length, value_length)) ? 0 : 1;
}

// After the last record: 0 once the engine holds the restored state; otherwise the reason was
// logged and the runner must not start.
ATTESTMQ_EXPORT("attestmq_restore_end") std::uint32_t attestmq_restore_end() {
  return broker && broker->finish_restore() ? 0 : 1;
}

// Group commit: how long (microseconds) the oldest change not yet sealed has waited,
// UINT64_MAX for none; and the sealing of them all into the runner's store, which the runner
// asks for just before it commits.
ATTESTMQ_EXPORT("attestmq_store_pending_us") std::uint64_t attestmq_store_pending_us() {
  return broker ? broker->store_pending_us() : UINT64_MAX;
}

ATTESTMQ_EXPORT("attestmq_store_flush") void attestmq_store_flush() {
  if (broker) broker->flush_store();
}

ATTESTMQ_EXPORT("attestmq_open")
void attestmq_open(std::uint32_t conn, std::uint32_t listener, std::uint32_t peer_length) {
  if (!broker) return;
  const auto peer = input_bytes(peer_length);
  broker->open(conn, listener, std::string(peer.begin(), peer.end()));
}

ATTESTMQ_EXPORT("attestmq_input") void attestmq_input(std::uint32_t conn, std::uint32_t length) {
  if (broker) broker->input(conn, input_bytes(length));
}

ATTESTMQ_EXPORT("attestmq_writable") void attestmq_writable(std::uint32_t conn) {
  if (broker) broker->writable(conn);
}

ATTESTMQ_EXPORT("attestmq_closed") void attestmq_closed(std::uint32_t conn) {
  if (broker) broker->closed(conn);
}

// Milliseconds until the next tick is due.
ATTESTMQ_EXPORT("attestmq_tick") std::uint64_t attestmq_tick() { return broker ? broker->tick() : 1000; }

// SIGHUP reached the runner: read the security files again (docs/configuration.md).
ATTESTMQ_EXPORT("attestmq_reload") void attestmq_reload() {
  if (broker) broker->reload();
}

ATTESTMQ_EXPORT("attestmq_shutdown") void attestmq_shutdown() {
  if (broker) broker->shutdown();
}
