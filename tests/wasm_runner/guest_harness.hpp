#pragma once
// A Runner for the test guest (guest/echo_guest.c) that records what the guest sends and
// logs, with helpers to put bytes into the guest's input buffer and to call it. The test
// fixtures derive from it.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "echo_guest_module.hpp"

namespace attestmq::wasm::test {

using Guest = Z_echo_guest_instance_t;

class GuestHarness {
 public:
  explicit GuestHarness(const std::vector<Preopen>& preopens = {}) : runner{calls(), preopens} {}

 protected:
  HostCalls calls() {
    return {.send = [this](std::uint32_t connection,
                           std::span<const std::uint8_t> bytes) -> std::uint64_t {
              sent.emplace_back(connection, std::string(bytes.begin(), bytes.end()));
              // The backlog a runner would answer: here, all this connection was ever sent.
              std::uint64_t held = 0;
              for (const auto& [to, text] : sent) held += to == connection ? text.size() : 0;
              return held;
            },
            .close = [this](std::uint32_t connection) { closed.push_back(connection); },
            .log = [this](std::uint32_t level, std::string_view line) {
              log.emplace_back(line);
              levels.push_back(level);
            },
            // A TEE whose evidence is `evidence`; without it, a provider that fails.
            .evidence = [this](std::span<const std::uint8_t, 64> report_data,
                               std::vector<std::uint8_t>& answer) {
              report_data_seen.assign(report_data.begin(), report_data.end());
              const std::string reply = evidence ? *evidence : "the quote service is down";
              answer.assign(reply.begin(), reply.end());
              return evidence.has_value();
            },
            // A database that records each change as "put KIND KEY=VALUE" or "erase KIND KEY".
            .store_put = [this](std::uint8_t kind, std::span<const std::uint8_t> key,
                                std::span<const std::uint8_t> value) {
              stored.push_back("put " + std::to_string(kind) + " " + std::string(key.begin(), key.end()) + "=" +
                               std::string(value.begin(), value.end()));
              return true;
            },
            .store_erase = [this](std::uint8_t kind, std::span<const std::uint8_t> key) {
              stored.push_back("erase " + std::to_string(kind) + " " + std::string(key.begin(), key.end()));
              return true;
            },
            .sealing_key = [](std::vector<std::uint8_t>& answer) {
              answer.assign(32, 0x5e);
              return true;
            }};
  }

  // The guest's input buffer, where the host puts what echo() and the import calls read.
  std::uint32_t input_buffer() {
    std::uint32_t address = 0;
    EXPECT_EQ(runner.batch([&](Guest& guest) { address = Z_echo_guestZ_input_buffer(&guest); }),
              WASM_RT_TRAP_NONE);
    return address;
  }

  void put_input(std::string_view bytes) {
    const auto target = runner.memory().span(input_buffer(), bytes.size());
    ASSERT_TRUE(target);
    std::copy(bytes.begin(), bytes.end(), target->begin());
  }

  std::uint32_t count_call() {
    std::uint32_t count = 0;
    EXPECT_EQ(runner.batch([&](Guest& guest) { count = Z_echo_guestZ_count_call(&guest); }),
              WASM_RT_TRAP_NONE);
    return count;
  }

  bool logged(std::string_view text) const {
    return std::any_of(log.begin(), log.end(),
                       [&](const std::string& line) { return line.find(text) != line.npos; });
  }

  std::vector<std::pair<std::uint32_t, std::string>> sent;
  std::vector<std::string> log;
  std::vector<std::uint32_t> levels;
  std::vector<std::uint32_t> closed;
  std::vector<std::string> stored;
  std::optional<std::string> evidence;
  std::vector<std::uint8_t> report_data_seen;
  Runner<EchoGuest> runner;
};

}  // namespace attestmq::wasm::test
