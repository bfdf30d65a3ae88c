// PasswordWorkers (issue #7 item C and its review): hashing on worker threads, a check whose
// connection closed is dropped before it is run, and a full queue answers "unavailable" at
// once instead of growing. Real password files, real threads.
#include "server/password_workers.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <variant>

#include "config/password_file.hpp"

namespace attestmq::server {
namespace {

// One user whose hash takes a noticeable time (200,000 PBKDF2 iterations), so that the
// first check is still running while the test queues and cancels others.
std::shared_ptr<const broker::Credentials> slow_password_file() {
  const auto hash = config::hash_password("secret", config::HashKind::sha512_pbkdf2, 200'000);
  EXPECT_TRUE(hash);
  auto parsed = config::parse_password_file("alice:" + config::format_hash(*hash) + "\n", "users");
  return std::get<std::shared_ptr<const config::PasswordFile>>(parsed);
}

class Verdicts {
 public:
  void add(broker::ConnId conn, broker::PasswordVerdict verdict) {
    std::lock_guard lock(mutex_);
    verdicts_[conn] = verdict;
    arrived_.notify_all();
  }
  std::map<broker::ConnId, broker::PasswordVerdict> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    arrived_.wait(lock, [&] { return verdicts_.size() >= count; });
    return verdicts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<broker::ConnId, broker::PasswordVerdict> verdicts_;
};

broker::PasswordCheck check(const std::shared_ptr<const broker::Credentials>& file,
                            const char* password) {
  return {file, "alice", password};
}

TEST(PasswordWorkers, ACancelledCheckIsNeverRun) {
  const auto file = slow_password_file();
  Verdicts verdicts;
  {
    PasswordWorkers workers(1, 16, [&](broker::ConnId conn, broker::PasswordVerdict verdict) {
      verdicts.add(conn, verdict);
    });
    workers.submit(1, check(file, "secret"));  // the one worker takes this first
    workers.submit(2, check(file, "wrong"));
    workers.submit(3, check(file, "wrong"));
    workers.cancel(2);  // still queued behind a slow hash
    const auto got = verdicts.wait_for(2);
    EXPECT_EQ(got.at(1), broker::PasswordVerdict::valid);
    EXPECT_EQ(got.at(3), broker::PasswordVerdict::invalid);
  }  // the destructor joins: nothing can arrive later
  EXPECT_EQ(verdicts.wait_for(2).count(2), 0u);
}

TEST(PasswordWorkers, AFullQueueAnswersUnavailableAtOnce) {
  const auto file = slow_password_file();
  Verdicts verdicts;
  PasswordWorkers workers(1, 2, [&](broker::ConnId conn, broker::PasswordVerdict verdict) {
    verdicts.add(conn, verdict);
  });
  // The worker holds at most one, the queue two more: of six, at least three are refused,
  // and refused at once (before any hash could finish).
  for (broker::ConnId conn = 1; conn <= 6; ++conn) workers.submit(conn, check(file, "wrong"));
  const auto early = verdicts.wait_for(3);
  std::size_t unavailable = 0;
  for (const auto& [conn, verdict] : early) unavailable += verdict == broker::PasswordVerdict::unavailable;
  EXPECT_GE(unavailable, 3u);
  const auto all = verdicts.wait_for(6);
  for (const auto& [conn, verdict] : all) EXPECT_NE(verdict, broker::PasswordVerdict::valid) << conn;
}

}  // namespace
}  // namespace attestmq::server
