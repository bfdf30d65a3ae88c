#include "server/password_workers.hpp"

#include "broker/settings.hpp"

namespace attestmq::server {

PasswordWorkers::PasswordWorkers(unsigned threads, Deliver deliver) : deliver_(std::move(deliver)) {
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

void PasswordWorkers::submit(broker::ConnId conn, broker::PasswordCheck check) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back({conn, std::move(check)});
  }
  ready_.notify_one();
}

void PasswordWorkers::run() {
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
    deliver_(job.conn, valid);
  }
}

}  // namespace attestmq::server
