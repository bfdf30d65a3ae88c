// The wasm2c runner with a real guest module (guest/echo_guest.c, compiled to Wasm and then
// to C at build time): bytes through the host imports, pointer checks on every import, traps
// and the re-created instance, WASI randomness and clocks, and the build-time measurement.
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "echo_guest_measurement.hpp"
#include "guest_harness.hpp"
#include "wasm/runner/guard_pages.hpp"

namespace attestmq::wasm::test {
namespace {

constexpr std::uint32_t kSuccess = 0;
constexpr std::uint32_t kFault = 21;
constexpr std::uint32_t kInval = 28;

class RunnerTest : public ::testing::Test, protected GuestHarness {};

TEST_F(RunnerTest, BytesMakeTheRoundTripThroughGuestAndSendImport) {
  put_input("attested bytes");
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  std::uint64_t third = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              first = Z_echo_guestZ_echo(&guest, 7, 14);
              second = Z_echo_guestZ_echo(&guest, 9, 8);
              third = Z_echo_guestZ_echo(&guest, 7, 2);
            }),
            WASM_RT_TRAP_NONE);
  // The guest gets the host's backlog for that connection back.
  EXPECT_EQ(first, 14u);
  EXPECT_EQ(second, 8u);
  EXPECT_EQ(third, 16u);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], std::make_pair(7u, std::string("setyb detsetta")));
  EXPECT_EQ(sent[1], std::make_pair(9u, std::string("detsetta")));
}

TEST_F(RunnerTest, GuestWritesItsOwnBufferAndTheHostReadsIt) {
  const std::uint32_t input = input_buffer();
  ASSERT_EQ(runner.batch([&](Guest& guest) { Z_echo_guestZ_fill(&guest, input, 32, 0xa5); }),
            WASM_RT_TRAP_NONE);
  const auto written = runner.memory().span(input, 32);
  ASSERT_TRUE(written);
  EXPECT_TRUE(std::all_of(written->begin(), written->end(), [](auto byte) { return byte == 0xa5; }));
}

TEST_F(RunnerTest, GuestLogLinesReachTheRunnerLog) {
  put_input("engine started");
  std::uint32_t result = 1;
  const std::uint32_t input = input_buffer();
  ASSERT_EQ(runner.batch([&](Guest& guest) { result = Z_echo_guestZ_log_range(&guest, 2, input, 14); }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(result, kSuccess);
  EXPECT_EQ(log, std::vector<std::string>{"engine started"});
  EXPECT_EQ(levels, std::vector<std::uint32_t>{2});
}

TEST_F(RunnerTest, LevelsAboveErrorAreLoggedAsErrors) {
  put_input("x");
  const std::uint32_t input = input_buffer();
  ASSERT_EQ(runner.batch([&](Guest& guest) { Z_echo_guestZ_log_range(&guest, 77, input, 1); }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(levels, std::vector<std::uint32_t>{log_level::kError});
}

TEST_F(RunnerTest, CloseReachesTheHost) {
  ASSERT_EQ(runner.batch([&](Guest& guest) { Z_echo_guestZ_close(&guest, 42); }), WASM_RT_TRAP_NONE);
  EXPECT_EQ(closed, std::vector<std::uint32_t>{42});
}

// wasm2c's trap point and the module's memory bound are global: a batch begun inside another
// is refused, and so is a second Runner made there (its _initialize is guest code too).
TEST_F(RunnerTest, ABatchInsideABatchIsRefusedAndTheOuterOneStillWorks) {
  EXPECT_THROW(runner.batch([&](Guest&) { runner.batch([](Guest&) {}); }), std::logic_error);
  EXPECT_THROW(runner.batch([&](Guest&) { GuestHarness inner; }), std::logic_error);
  EXPECT_EQ(count_call(), 1u);
  GuestHarness after;
  EXPECT_EQ(runner.instances_created(), 1u);
}

// A (pointer, length) pair the guest hands to an import; the pointer depends on the memory's
// size.
struct GuestRange {
  const char* name;
  std::uint32_t (*pointer)(std::uint32_t memory_size);
  std::uint32_t length;
  bool inside;
};

class GuestRangeTest : public RunnerTest, public ::testing::WithParamInterface<GuestRange> {
 protected:
  std::uint32_t pointer() const { return GetParam().pointer(runner.memory().size()); }
};

TEST_P(GuestRangeTest, SendActsOnlyOnRangesInsideMemory) {
  std::uint64_t result = 1;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              result = Z_echo_guestZ_send_range(&guest, 3, pointer(), GetParam().length);
            }),
            WASM_RT_TRAP_NONE);
  if (GetParam().inside) {
    EXPECT_EQ(result, GetParam().length);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].second.size(), GetParam().length);
    EXPECT_EQ(runner.host().refused_calls(), 0u);
  } else {
    EXPECT_EQ(result, UINT64_MAX);
    EXPECT_TRUE(sent.empty());
    EXPECT_EQ(runner.host().refused_calls(), 1u);
    EXPECT_TRUE(logged("refused attestmq send: guest range [" + std::to_string(pointer())));
  }
  // Refusing is not a trap: the same instance goes on.
  EXPECT_EQ(runner.instances_created(), 1u);
}

TEST_P(GuestRangeTest, LogAndRandomGetActOnlyOnRangesInsideMemory) {
  std::uint32_t log_result = 1;
  std::uint32_t random_result = 1;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              log_result = Z_echo_guestZ_log_range(&guest, 1, pointer(), GetParam().length);
              random_result = Z_echo_guestZ_random_get(&guest, pointer(), GetParam().length);
            }),
            WASM_RT_TRAP_NONE);
  const std::uint32_t expected = GetParam().inside ? kSuccess : kFault;
  EXPECT_EQ(log_result, expected);
  EXPECT_EQ(random_result, expected);
  EXPECT_EQ(runner.host().refused_calls(), GetParam().inside ? 0u : 2u);
  EXPECT_EQ(logged("refused attestmq log"), !GetParam().inside);
  EXPECT_EQ(logged("refused wasi random_get"), !GetParam().inside);
}

TEST_P(GuestRangeTest, StoreCallsActOnlyOnRangesInsideMemory) {
  const std::uint32_t input = input_buffer();
  std::uint32_t key_outside = 1, value_outside = 1, erase_outside = 1;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              key_outside = Z_echo_guestZ_store_put_range(&guest, 3, pointer(), GetParam().length, input, 4);
              value_outside = Z_echo_guestZ_store_put_range(&guest, 3, input, 4, pointer(), GetParam().length);
              erase_outside = Z_echo_guestZ_store_erase_range(&guest, 3, pointer(), GetParam().length);
            }),
            WASM_RT_TRAP_NONE);
  const std::uint32_t expected = GetParam().inside ? kSuccess : kFault;
  EXPECT_EQ(key_outside, expected);
  EXPECT_EQ(value_outside, expected);
  EXPECT_EQ(erase_outside, expected);
  EXPECT_EQ(stored.size(), GetParam().inside ? 3u : 0u);
  EXPECT_EQ(runner.host().refused_calls(), GetParam().inside ? 0u : 3u);
  EXPECT_EQ(logged("refused attestmq store_put"), !GetParam().inside);
  EXPECT_EQ(logged("refused attestmq store_erase"), !GetParam().inside);
}

TEST_P(GuestRangeTest, TheSealingKeyIsWrittenOnlyInsideMemory) {
  std::uint64_t result = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) { result = Z_echo_guestZ_sealing_key_range(&guest, pointer(), GetParam().length); }),
            WASM_RT_TRAP_NONE);
  if (!GetParam().inside) {
    EXPECT_EQ(result, std::uint64_t{1} << 32);
    EXPECT_TRUE(logged("refused attestmq sealing_key"));
  } else {
    // 32 bytes of key: written where they fit, otherwise only measured.
    EXPECT_EQ(result, 32u);
    if (GetParam().length >= 32) {
      const auto written = runner.memory().span(pointer(), 32);
      ASSERT_TRUE(written);
      EXPECT_TRUE(std::all_of(written->begin(), written->end(), [](std::uint8_t byte) { return byte == 0x5e; }));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ranges, GuestRangeTest,
    ::testing::Values(
        GuestRange{"LastBytes", [](std::uint32_t size) { return size - 16; }, 16, true},
        GuestRange{"EmptyAtTheEnd", [](std::uint32_t size) { return size; }, 0, true},
        GuestRange{"OneBytePastTheEnd", [](std::uint32_t size) { return size - 16; }, 17, false},
        GuestRange{"StartsPastTheEnd", [](std::uint32_t size) { return size + 1; }, 1, false},
        GuestRange{"LengthOfAllAddresses", [](std::uint32_t) { return 16u; }, UINT32_MAX, false},
        // In 32 bits, pointer + length wraps around to 0x10, an address inside memory.
        GuestRange{"WrapsAround", [](std::uint32_t) { return 0xfffffff0u; }, 0x20, false}),
    [](const auto& info) { return std::string(info.param.name); });

// The evidence import's answer: the length, with bit 32 set when the provider failed.
constexpr std::uint64_t kEvidenceFailed = std::uint64_t{1} << 32;

TEST_F(RunnerTest, EvidenceOverTheGuestsReportDataLandsInItsBuffer) {
  evidence = "quote over the report data";
  const std::uint32_t input = input_buffer();
  put_input(std::string(64, 'r'));
  const std::uint32_t out = input + 64;
  std::uint64_t result = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) { result = Z_echo_guestZ_evidence_range(&guest, input, out, 128); }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(result, evidence->size());
  EXPECT_EQ(report_data_seen, std::vector<std::uint8_t>(64, 'r'));
  const auto written = runner.memory().span(out, evidence->size());
  ASSERT_TRUE(written);
  EXPECT_EQ(std::string(written->begin(), written->end()), *evidence);
}

TEST_F(RunnerTest, EvidenceLongerThanTheBufferIsOnlyMeasured) {
  evidence = std::string(100, 'q');
  const std::uint32_t input = input_buffer();
  put_input(std::string(64, 'r') + std::string(16, '-'));
  std::uint64_t result = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) { result = Z_echo_guestZ_evidence_range(&guest, input, input + 64, 16); }),
            WASM_RT_TRAP_NONE);
  // The guest asks again with 100 bytes of room; nothing was written meanwhile.
  EXPECT_EQ(result, 100u);
  const auto untouched = runner.memory().span(input + 64, 16);
  ASSERT_TRUE(untouched);
  EXPECT_EQ(std::string(untouched->begin(), untouched->end()), std::string(16, '-'));
}

TEST_F(RunnerTest, AFailedProviderAnswersWithItsReason) {
  const std::uint32_t input = input_buffer();
  std::uint64_t result = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) { result = Z_echo_guestZ_evidence_range(&guest, input, input + 64, 256); }),
            WASM_RT_TRAP_NONE);
  const std::string reason = "the quote service is down";
  EXPECT_EQ(result, kEvidenceFailed | reason.size());
  const auto written = runner.memory().span(input + 64, reason.size());
  ASSERT_TRUE(written);
  EXPECT_EQ(std::string(written->begin(), written->end()), reason);
}

TEST_F(RunnerTest, EvidenceRangesOutsideMemoryAreRefusedBeforeTheProviderIsAsked) {
  evidence = "quote";
  const std::uint32_t end = runner.memory().size();
  const std::uint32_t input = input_buffer();
  std::uint64_t report_data_outside = 0;
  std::uint64_t buffer_outside = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              report_data_outside = Z_echo_guestZ_evidence_range(&guest, end - 32, input, 64);
              buffer_outside = Z_echo_guestZ_evidence_range(&guest, input, end - 8, 64);
            }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(report_data_outside, kEvidenceFailed);
  EXPECT_EQ(buffer_outside, kEvidenceFailed);
  EXPECT_TRUE(report_data_seen.empty());
  EXPECT_EQ(runner.host().refused_calls(), 2u);
  EXPECT_TRUE(logged("refused attestmq evidence: guest range [" + std::to_string(end - 32)));
  EXPECT_TRUE(logged("refused attestmq evidence: guest range [" + std::to_string(end - 8)));
  EXPECT_EQ(runner.instances_created(), 1u);
}

TEST_F(RunnerTest, AStoreChangeReachesTheDatabaseAsGivenAndAnUnknownKindIsRefused) {
  const std::uint32_t input = input_buffer();
  put_input("client-7session");
  std::uint32_t put = 1, erase = 1, unknown = 1;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              put = Z_echo_guestZ_store_put_range(&guest, 1, input, 8, input + 8, 7);
              erase = Z_echo_guestZ_store_erase_range(&guest, 1, input, 8);
              unknown = Z_echo_guestZ_store_put_range(&guest, 4, input, 8, input + 8, 7);
            }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(put, kSuccess);
  EXPECT_EQ(erase, kSuccess);
  EXPECT_EQ(unknown, kInval);
  EXPECT_EQ(stored, (std::vector<std::string>{"put 1 client-7=session", "erase 1 client-7"}));
}

TEST_F(RunnerTest, ClockResultOutsideMemoryIsRefused) {
  std::uint32_t result = 0;
  const std::uint32_t end = runner.memory().size();
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              result = Z_echo_guestZ_clock_time_get(&guest, 1, end - 4);
            }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(result, kFault);
  EXPECT_TRUE(logged("refused wasi clock_time_get: guest range [" + std::to_string(end - 4) + ", +8)"));
}

// A guest call that traps, and what the runner must report.
// The guest's stack is bounded in bytes (guest_stack.hpp), not by wasm2c's count of 500 calls:
// 5,000 small frames fit in it.
TEST_F(RunnerTest, TheGuestStackIsBoundedInBytesNotInCalls) {
  std::uint32_t sum = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) { sum = Z_echo_guestZ_recurse(&guest, 5000); }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(sum, 5000u * 4999u / 2u);
}

// The translated module keeps the running instance's memory base and size in file-static
// variables (cmake/wasm2c_edits.cmake), bound by each export it is entered through. Calls that
// alternate between two instances of the module, and an instance re-created after a trap,
// must each see their own memory. Each SeparateGuest has a Runner, hence an instance, of its
// own.
class SeparateGuest : public GuestHarness {
 public:
  using GuestHarness::count_call;
  using GuestHarness::sent;

  void echo(std::string_view bytes) {
    put_input(bytes);
    ASSERT_EQ(runner.batch([&](Guest& guest) {
                Z_echo_guestZ_echo(&guest, 1, static_cast<std::uint32_t>(bytes.size()));
              }),
              WASM_RT_TRAP_NONE);
  }

  void trap() {
    EXPECT_EQ(runner.batch([](Guest& guest) { Z_echo_guestZ_trap_unreachable(&guest); }),
              WASM_RT_TRAP_UNREACHABLE);
  }

  std::uint32_t grow_and_write_last(std::uint32_t pages) {
    std::uint32_t before = 0;
    EXPECT_EQ(runner.batch([&](Guest& guest) {
                before = Z_echo_guestZ_grow_and_write_last(&guest, pages);
              }),
              WASM_RT_TRAP_NONE);
    return before;
  }

  // Host code inside a batch, where guest code may run.
  template <class Host>
  void runner_batch(Host&& host) {
    runner.batch([&](Guest&) { host(); });
  }

  wasm_rt_trap_t peek(std::uint32_t at) {
    return runner.batch([&](Guest& guest) { Z_echo_guestZ_peek(&guest, at); });
  }
};

TEST(RunnerInstances, TwoInstancesOfOneModuleKeepTheirOwnMemory) {
  SeparateGuest first;
  SeparateGuest second;
  EXPECT_EQ(first.count_call(), 1u);
  EXPECT_EQ(second.count_call(), 1u);
  EXPECT_EQ(first.count_call(), 2u);
  first.echo("first");
  second.echo("second");
  first.echo("again");
  ASSERT_EQ(first.sent.size(), 2u);
  EXPECT_EQ(first.sent[0].second, "tsrif");
  EXPECT_EQ(first.sent[1].second, "niaga");
  ASSERT_EQ(second.sent.size(), 1u);
  EXPECT_EQ(second.sent[0].second, "dnoces");

  first.trap();
  EXPECT_EQ(first.count_call(), 1u);
  EXPECT_EQ(second.count_call(), 2u);
  second.echo("still second");
  EXPECT_EQ(second.sent.back().second, "dnoces llits");
}

// memory.grow may move the memory and changes its size: the grown instance writes its new
// last byte in the same call as the grow, and the other instance, not grown, must still
// trap on that address.
TEST(RunnerInstances, EachInstanceIsCheckedAgainstItsOwnGrownMemory) {
  SeparateGuest grown;
  SeparateGuest other;
  constexpr std::uint32_t kPage = 65536;
  constexpr std::uint32_t kAdded = 64;
  const std::uint32_t before = grown.grow_and_write_last(kAdded);
  ASSERT_NE(before, UINT32_MAX);
  const std::uint32_t last = (before + kAdded) * kPage - 1;
  EXPECT_EQ(other.peek(last), WASM_RT_TRAP_OOB);
  EXPECT_EQ(grown.peek(last), WASM_RT_TRAP_NONE);
  EXPECT_EQ(other.peek(before * kPage - 1), WASM_RT_TRAP_NONE);
}

// The address space held by guest memories: reservations of at least 4 GiB in
// /proc/self/maps (with guard pages, one of 8 GiB per instance; with explicit checks, none).
std::size_t large_reservations() {
  std::ifstream maps("/proc/self/maps");
  std::size_t count = 0;
  std::string line;
  while (std::getline(maps, line)) {
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash == std::string::npos || space == std::string::npos) continue;
    const auto start = std::stoull(line.substr(0, dash), nullptr, 16);
    const auto end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
    if (end - start >= (std::uint64_t{4} << 30)) ++count;
  }
  return count;
}

// With guard pages an out-of-bounds access is a fault, and the runner leaves the fault handler
// by a jump: the next fault must trap again, not find the signal blocked and kill the process.
TEST(RunnerInstances, OneOutOfBoundsAccessAfterAnotherTrapsEachTime) {
  SeparateGuest guest;
  for (int attempt = 0; attempt < 3; ++attempt) EXPECT_EQ(guest.peek(UINT32_MAX), WASM_RT_TRAP_OOB);
  EXPECT_EQ(guest.count_call(), 1u);
}

// wabt's runtime unmaps only a memory's accessible pages when it frees it: a runner that
// drops instances (after every trap) must give back the whole reservation.
TEST(RunnerInstances, ADroppedInstanceGivesBackItsAddressSpace) {
  const std::size_t before = large_reservations();
  {
    SeparateGuest guest;
    guest.trap();
    guest.trap();
    EXPECT_EQ(large_reservations(), before + (guard_pages::kEnabled ? 1 : 0));
  }
  EXPECT_EQ(large_reservations(), before);
}

// Runs guard_pages::install() with room for only 1 GiB more address space than is mapped (a
// sanitizer's shadow included) and exits 3 if it refuses and names the build that fits.
[[noreturn]] void install_without_room_for_a_reservation() {
  std::ifstream status("/proc/self/status");
  std::string line;
  std::uint64_t mapped_kib = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) mapped_kib = std::stoull(line.substr(7));
  }
  const rlimit limit{(mapped_kib << 10) + (std::uint64_t{1} << 30), RLIM_INFINITY};
  if (mapped_kib == 0 || ::setrlimit(RLIMIT_AS, &limit) != 0) std::_Exit(1);
  try {
    guard_pages::install();
  } catch (const std::runtime_error& error) {
    const bool named = std::string_view(error.what()).find("-DATTESTMQ_WASM_BOUNDS=explicit") !=
                       std::string_view::npos;
    std::_Exit(named ? 3 : 2);
  }
  std::_Exit(0);
}

// Where 8 GiB of address space cannot be reserved (an SGX enclave's fixed size, or a limit
// on the process), a guard-page runner refuses to start and names the build that fits,
// instead of wabt's runtime aborting at the first instance.
TEST(RunnerInstancesDeathTest, GuardPagesWithoutRoomForAReservationAreRefusedByName) {
  EXPECT_EXIT(install_without_room_for_a_reservation(), ::testing::ExitedWithCode(3), "");
}

// The fault handler of guard pages claims only faults in the running instance's
// reservation: a fault anywhere else, in the middle of a batch, still ends the process.
TEST(RunnerInstancesDeathTest, AFaultOutsideGuestMemoryIsNotTurnedIntoATrap) {
  EXPECT_DEATH(
      {
        SeparateGuest guest;
        void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        guest.runner_batch([&] { std::printf("%d\n", *static_cast<volatile int*>(page)); });
      },
      "");
}

struct TrapCase {
  const char* name;
  void (*call)(Guest& guest, std::uint32_t memory_size);
  wasm_rt_trap_t trap;
  const char* cause;
  // With guard pages, the access is what traps, and the compiler may drop a load whose value
  // nothing uses (cmake/wasm2c_edits.cmake): such a case holds with explicit checks only.
  bool explicit_bounds_only = false;
};

class TrapTest : public RunnerTest, public ::testing::WithParamInterface<TrapCase> {};

TEST_P(TrapTest, TrapIsReportedWithItsCauseAndTheNextCallRunsOnAFreshInstance) {
  if (GetParam().explicit_bounds_only && guard_pages::kEnabled) {
    GTEST_SKIP() << "this runner bounds guest memory with guard pages";
  }
  EXPECT_EQ(count_call(), 1u);
  EXPECT_EQ(count_call(), 2u);
  const std::uint32_t memory_size = runner.memory().size();
  bool batch_went_on = false;
  const wasm_rt_trap_t trap = runner.batch([&](Guest& guest) {
    GetParam().call(guest, memory_size);
    batch_went_on = true;
  });
  EXPECT_EQ(trap, GetParam().trap);
  EXPECT_FALSE(batch_went_on);
  EXPECT_TRUE(logged(std::string("guest trapped: ") + GetParam().cause)) << log.back();
  EXPECT_EQ(runner.instances_created(), 2u);
  // The new instance starts from the module's initial state, and works.
  EXPECT_EQ(count_call(), 1u);
  put_input("ok");
  std::uint64_t result = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) { result = Z_echo_guestZ_echo(&guest, 1, 2); }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(result, 2u);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].second, "ko");
}

INSTANTIATE_TEST_SUITE_P(
    Traps, TrapTest,
    ::testing::Values(
        TrapCase{"OutOfBoundsStore",
                 [](Guest& guest, std::uint32_t size) { Z_echo_guestZ_fill(&guest, size - 2, 4, 1); },
                 WASM_RT_TRAP_OOB, "Out-of-bounds access in linear memory"},
        TrapCase{"OutOfBoundsLoad",
                 [](Guest& guest, std::uint32_t size) { Z_echo_guestZ_peek(&guest, size); },
                 WASM_RT_TRAP_OOB, "Out-of-bounds access in linear memory"},
        TrapCase{"LoadAtTheLastAddressAGuestCanName",
                 [](Guest& guest, std::uint32_t) { Z_echo_guestZ_peek(&guest, UINT32_MAX); },
                 WASM_RT_TRAP_OOB, "Out-of-bounds access in linear memory"},
        TrapCase{"OutOfBoundsLoadWhoseValueIsUnused",
                 [](Guest& guest, std::uint32_t size) { Z_echo_guestZ_touch(&guest, size); },
                 WASM_RT_TRAP_OOB, "Out-of-bounds access in linear memory", true},
        TrapCase{"Unreachable",
                 [](Guest& guest, std::uint32_t) { Z_echo_guestZ_trap_unreachable(&guest); },
                 WASM_RT_TRAP_UNREACHABLE, "Unreachable instruction executed"},
        TrapCase{"CallStackExhausted",
                 [](Guest& guest, std::uint32_t) { Z_echo_guestZ_recurse(&guest, UINT32_MAX); },
                 WASM_RT_TRAP_EXHAUSTION, "Call stack exhausted"},
        TrapCase{"DivisionByZero",
                 [](Guest& guest, std::uint32_t) { Z_echo_guestZ_divide(&guest, 1, 0); },
                 WASM_RT_TRAP_DIV_BY_ZERO, "Integer divide by zero"},
        TrapCase{"DivisionOverflow",
                 [](Guest& guest, std::uint32_t) {
                   Z_echo_guestZ_divide(&guest, static_cast<std::uint32_t>(INT32_MIN),
                                        static_cast<std::uint32_t>(-1));
                 },
                 WASM_RT_TRAP_INT_OVERFLOW, "Integer overflow on divide"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(RunnerTest, RandomGetFillsGuestMemoryFromTheKernel) {
  const std::uint32_t input = input_buffer();
  std::uint32_t size = 0;
  std::uint32_t first = 1;
  std::uint32_t second = 1;
  std::string first_bytes;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              size = Z_echo_guestZ_buffer_size(&guest);
              first = Z_echo_guestZ_random_get(&guest, input, size);
            }),
            WASM_RT_TRAP_NONE);
  ASSERT_EQ(first, kSuccess);
  const auto bytes = runner.memory().span(input, size);
  ASSERT_TRUE(bytes);
  first_bytes.assign(bytes->begin(), bytes->end());
  ASSERT_EQ(runner.batch([&](Guest& guest) { second = Z_echo_guestZ_random_get(&guest, input, size); }),
            WASM_RT_TRAP_NONE);
  ASSERT_EQ(second, kSuccess);
  // 4096 random bytes: all zero, or equal twice, would mean no randomness arrived.
  EXPECT_NE(first_bytes, std::string(size, '\0'));
  EXPECT_NE(first_bytes, std::string(bytes->begin(), bytes->end()));
}

std::uint64_t host_clock(clockid_t clock) {
  timespec now{};
  EXPECT_EQ(clock_gettime(clock, &now), 0);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

class ClockTest : public RunnerTest, public ::testing::WithParamInterface<std::pair<std::uint32_t, clockid_t>> {};

TEST_P(ClockTest, ClockTimeGetReadsTheHostClock) {
  const auto [wasi_clock, clock] = GetParam();
  const std::uint32_t input = input_buffer();
  std::uint32_t result = 1;
  const std::uint64_t before = host_clock(clock);
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              result = Z_echo_guestZ_clock_time_get(&guest, wasi_clock, input);
            }),
            WASM_RT_TRAP_NONE);
  const std::uint64_t after = host_clock(clock);
  ASSERT_EQ(result, kSuccess);
  const auto stored = runner.memory().span(input, 8);
  ASSERT_TRUE(stored);
  std::uint64_t time = 0;
  std::copy(stored->begin(), stored->end(), reinterpret_cast<std::uint8_t*>(&time));
  EXPECT_LE(before, time);
  EXPECT_LE(time, after);
}

INSTANTIATE_TEST_SUITE_P(Clocks, ClockTest,
                         ::testing::Values(std::make_pair(0u, CLOCK_REALTIME),
                                           std::make_pair(1u, CLOCK_MONOTONIC)));

TEST_F(RunnerTest, CpuTimeClocksAreNotOffered) {
  const std::uint32_t input = input_buffer();
  std::uint32_t process = 0;
  std::uint32_t thread = 0;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              process = Z_echo_guestZ_clock_time_get(&guest, 2, input);
              thread = Z_echo_guestZ_clock_time_get(&guest, 3, input);
            }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(process, kInval);
  EXPECT_EQ(thread, kInval);
}

// fd_write's arguments laid out in the guest's input buffer: two iovecs at +0, nwritten at
// +16, text at +32. Each case may then spoil one of them.
struct FdWriteCase {
  const char* name;
  std::uint32_t fd;
  std::uint32_t iovs_len;
  // Changes the call's (iovs, nwritten) or the iovecs in memory, given input buffer and size.
  void (*spoil)(const GuestMemory& memory, std::uint32_t input, std::uint32_t& iovs,
                std::uint32_t& written);
  std::uint32_t result;
  const char* logged;  // the runner's log line, or nullptr for none
};

class FdWriteTest : public RunnerTest, public ::testing::WithParamInterface<FdWriteCase> {};

TEST_P(FdWriteTest, StandardOutputAndErrorBecomeLogLinesOnlyWhenEveryRangeIsInside) {
  const std::uint32_t input = input_buffer();
  put_input(std::string(32, '\0') + "hello stderr\n");
  const GuestMemory memory = runner.memory();
  ASSERT_TRUE(memory.store_u32(input, input + 32) && memory.store_u32(input + 4, 6) &&
              memory.store_u32(input + 8, input + 38) && memory.store_u32(input + 12, 7));
  std::uint32_t iovs = input;
  std::uint32_t written = input + 16;
  if (GetParam().spoil) GetParam().spoil(memory, input, iovs, written);
  std::uint32_t result = 1;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              result = Z_echo_guestZ_fd_write(&guest, GetParam().fd, iovs, GetParam().iovs_len,
                                              written);
            }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(result, GetParam().result);
  std::vector<std::string> guest_output;
  std::copy_if(log.begin(), log.end(), std::back_inserter(guest_output),
               [](const std::string& line) { return line.starts_with("guest fd "); });
  if (GetParam().logged) {
    EXPECT_EQ(guest_output, std::vector<std::string>{GetParam().logged});
    EXPECT_EQ(runner.memory().load_u32(written), 13u);
  } else {
    EXPECT_TRUE(guest_output.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    FdWrite, FdWriteTest,
    ::testing::Values(
        FdWriteCase{"StandardError", 2, 2, nullptr, kSuccess, "guest fd 2: hello stderr"},
        FdWriteCase{"StandardOutput", 1, 2, nullptr, kSuccess, "guest fd 1: hello stderr"},
        FdWriteCase{"NoOtherDescriptor", 3, 2, nullptr, 8, nullptr},
        FdWriteCase{"IovecsPastTheEnd", 2, 2,
                    [](const GuestMemory& memory, std::uint32_t, std::uint32_t& iovs,
                       std::uint32_t&) { iovs = memory.size() - 8; },
                    kFault, nullptr},
        // 2^29 iovecs of 8 bytes are 2^32 bytes: 0 in 32-bit arithmetic.
        FdWriteCase{"IovecCountWrapsAround", 2, 1u << 29, nullptr, kFault, nullptr},
        FdWriteCase{"SecondBufferPastTheEnd", 2, 2,
                    [](const GuestMemory& memory, std::uint32_t input, std::uint32_t&,
                       std::uint32_t&) { ASSERT_TRUE(memory.store_u32(input + 8, memory.size() - 3)); },
                    kFault, nullptr},
        FdWriteCase{"ResultPastTheEnd", 2, 2,
                    [](const GuestMemory& memory, std::uint32_t, std::uint32_t&,
                       std::uint32_t& written) { written = memory.size() - 2; },
                    kFault, nullptr}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(RunnerTest, FdWriteTakesAtMost64KiBPerCall) {
  const std::uint32_t input = input_buffer();
  const GuestMemory memory = runner.memory();
  ASSERT_GT(memory.size(), 64u * 1024);
  // One iovec naming all of memory: valid, and far more than one call takes.
  ASSERT_TRUE(memory.store_u32(input, 0) && memory.store_u32(input + 4, memory.size()));
  std::uint32_t result = 1;
  ASSERT_EQ(runner.batch([&](Guest& guest) {
              result = Z_echo_guestZ_fd_write(&guest, 2, input, 1, input + 8);
            }),
            WASM_RT_TRAP_NONE);
  EXPECT_EQ(result, kSuccess);
  EXPECT_EQ(runner.memory().load_u32(input + 8), 64u * 1024);
}

TEST(RunnerMeasurement, IsTheSha256OfTheModuleCompiledIn) {
  std::ifstream file(ATTESTMQ_ECHO_GUEST_WASM, std::ios::binary);
  ASSERT_TRUE(file) << ATTESTMQ_ECHO_GUEST_WASM;
  const std::string module((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(module.empty());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  ASSERT_EQ(EVP_Digest(module.data(), module.size(), digest, &digest_size, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (unsigned int i = 0; i < digest_size; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[digest[i] >> 4];
    hex += kDigits[digest[i] & 0xf];
  }
  EXPECT_EQ(kEchoGuestSha256, hex);
}

}  // namespace
}  // namespace attestmq::wasm::test
