#include "server/password_workers.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "broker/settings.hpp"

namespace attestmq::server {

PasswordWorkers::PasswordWorkers(unsigned threads, std::size_t max_queued, Deliver deliver)
    : max_queued_(max_queued), deliver_(std::move(deliver)) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

PasswordWorkers::~PasswordWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

unsigned PasswordWorkers::default_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 2 ? 2 : 1;
}

void PasswordWorkers::submit(broker::ConnId conn, broker::PasswordCheck check) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() < max_queued_) {
      jobs_.push_back({conn, std::move(check)});
      ready_.notify_one();
      return;
    }
  }
  deliver_(conn, broker::PasswordVerdict::unavailable);
}

void PasswordWorkers::cancel(broker::ConnId conn) {
  std::lock_guard lock(mutex_);
  std::erase_if(jobs_, [conn](const Job& job) { return job.conn == conn; });
}

void PasswordWorkers::run() {
  // Hashing for a login yields to message traffic (a per-thread nice value on Linux).
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const bool valid = job.check.passwords->verify(job.check.username, job.check.password);
    deliver_(job.conn, valid ? broker::PasswordVerdict::valid : broker::PasswordVerdict::invalid);
  }
}

}  // namespace attestmq::server
