#pragma once
// Password checks off the engine lock (Host::check_password): a password_file hash costs what
// its iteration count says (mosquitto_passwd's PBKDF2, up to seconds for a hardened file), and
// no client's traffic may wait for another client's login. A few worker threads hash; each
// verdict goes back to the reactor that owns the connection, which hands it to the engine.
#include <condition_variable>
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
  using Deliver = std::function<void(broker::ConnId conn, bool valid)>;

  // `deliver` runs on a worker thread and must only hand the verdict over.
  PasswordWorkers(unsigned threads, Deliver deliver);
  ~PasswordWorkers();  // checks not started yet are dropped; their connections are closing
  PasswordWorkers(const PasswordWorkers&) = delete;
  PasswordWorkers& operator=(const PasswordWorkers&) = delete;

  void submit(broker::ConnId conn, broker::PasswordCheck check);

 private:
  struct Job {
    broker::ConnId conn;
    broker::PasswordCheck check;
  };
  void run();

  Deliver deliver_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace attestmq::server
