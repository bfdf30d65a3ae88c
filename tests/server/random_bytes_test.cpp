// fill_random: what getrandom(2) may answer, and which answers are worth asking again. The
// sources here answer as the kernel documents it can; the last test uses the real call.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "server/random_bytes.hpp"

namespace attestmq::server {
namespace {

// Plays back getrandom answers in order: a byte count (filled with 0xAB), or -errno.
RandomSource scripted(std::deque<ssize_t> answers, int& calls) {
  return [answers = std::move(answers), &calls](std::span<std::uint8_t> out) mutable -> ssize_t {
    ++calls;
    const ssize_t answer = answers.empty() ? -EIO : answers.front();
    if (!answers.empty()) answers.pop_front();
    if (answer < 0) {
      errno = static_cast<int>(-answer);
      return -1;
    }
    const auto count = std::min(static_cast<std::size_t>(answer), out.size());
    std::memset(out.data(), 0xAB, count);
    return static_cast<ssize_t>(count);
  };
}

TEST(FillRandom, ShortReadsAreContinued) {
  std::vector<std::uint8_t> out(8, 0);
  int calls = 0;
  int error = 0;
  EXPECT_TRUE(fill_random(out, scripted({3, 4, 1}, calls), error));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(out, std::vector<std::uint8_t>(8, 0xAB));
}

TEST(FillRandom, InterruptionsAreRetried) {
  std::vector<std::uint8_t> out(8, 0);
  int calls = 0;
  int error = 0;
  EXPECT_TRUE(fill_random(out, scripted({-EINTR, -EINTR, 8}, calls), error));
  EXPECT_EQ(calls, 3);
}

TEST(FillRandom, PermanentErrorsFailAtOnceWithTheirErrno) {
  for (const int permanent : {ENOSYS, EPERM, EFAULT, EINVAL}) {
    std::vector<std::uint8_t> out(8, 0);
    int calls = 0;
    int error = 0;
    EXPECT_FALSE(fill_random(out, scripted({4, -permanent, 4}, calls), error)) << permanent;
    EXPECT_EQ(error, permanent);
    EXPECT_EQ(calls, 2) << "asked again after " << std::strerror(permanent);
  }
}

TEST(FillRandom, EndlessInterruptionsEndInFailure) {
  std::vector<std::uint8_t> out(8, 0);
  int calls = 0;
  int error = 0;
  const std::deque<ssize_t> storm(kMaxRandomInterruptions + 1, -EINTR);
  EXPECT_FALSE(fill_random(out, scripted(storm, calls), error));
  EXPECT_EQ(error, EINTR);
  EXPECT_EQ(calls, kMaxRandomInterruptions + 1);
}

TEST(FillRandom, ASourceThatMakesNoProgressFails) {
  std::vector<std::uint8_t> out(8, 0);
  int calls = 0;
  int error = 0;
  EXPECT_FALSE(fill_random(out, scripted({0}, calls), error));
  EXPECT_EQ(error, EIO);
  EXPECT_EQ(calls, 1);
}

TEST(FillRandom, TheKernelFillsLargeRequests) {
  std::vector<std::uint8_t> out(4096, 0);
  int error = 0;
  ASSERT_TRUE(fill_random(out, system_random, error)) << std::strerror(error);
  EXPECT_NE(out, std::vector<std::uint8_t>(4096, 0));
}

}  // namespace
}  // namespace attestmq::server
