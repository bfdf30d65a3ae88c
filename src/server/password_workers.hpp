#pragma once
// Password checks off the engine lock (Host::check_password): a password_file hash costs what
// its iteration count says (mosquitto_passwd's PBKDF2, up to seconds for a hardened file), and
// no client's traffic may wait for another client's login. A few worker threads hash, at a
// lower priority than the reactors; each verdict goes back to the reactor that owns the
// connection, which hands it to the engine.
//
// A flood of logins is bounded twice: a check whose connection closed before a worker took it
// is dropped (cancel), and past `max_queued` waiting checks a new one is answered
// PasswordVerdict::unavailable at once (CONNACK 0x89 Server busy) instead of queueing.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/host.hpp"

namespace attestmq::server {

class PasswordWorkers {
 public:
  using Deliver = std::function<void(broker::ConnId conn, broker::PasswordVerdict verdict)>;

  // `deliver` runs on a worker thread (or in submit()) and must only hand the verdict over.
  PasswordWorkers(unsigned threads, std::size_t max_queued, Deliver deliver);
  ~PasswordWorkers();  // checks not started yet are dropped; their connections are closing
  PasswordWorkers(const PasswordWorkers&) = delete;
  PasswordWorkers& operator=(const PasswordWorkers&) = delete;

  void submit(broker::ConnId conn, broker::PasswordCheck check);
  // The connection is gone: its check, if still waiting, is not run.
  void cancel(broker::ConnId conn);

  // One thread fewer than the cores, at most two: logins never take every core.
  static unsigned default_threads();

 private:
  struct Job {
    broker::ConnId conn;
    broker::PasswordCheck check;
  };
  void run();

  const std::size_t max_queued_;
  Deliver deliver_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace attestmq::server
