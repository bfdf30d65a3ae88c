#include "server/evidence_refresher.hpp"

namespace attestmq::server {

EvidenceRefresher::EvidenceRefresher(attested::AttestedSessions& sessions,
                                     attested::AttestedSessions::Log log)
    : sessions_(sessions), log_(std::move(log)) {
  // Nothing due now, as create() made the first quotes: only whether anything is cached.
  if (sessions_.refresh_due(std::chrono::steady_clock::now(), log_)) thread_ = std::thread([this] { run(); });
}

EvidenceRefresher::~EvidenceRefresher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EvidenceRefresher::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Not under the lock: a quote may take a while, and the destructor must not wait for it
    // to ask for the stop.
    lock.unlock();
    const auto due = sessions_.refresh_due(std::chrono::steady_clock::now(), log_);
    lock.lock();
    if (!due) break;
    wake_.wait_until(lock, *due, [this] { return stopping_; });
  }
}

}  // namespace attestmq::server
