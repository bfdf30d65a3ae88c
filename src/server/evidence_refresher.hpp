#pragma once
// The native server's refresher of cached attestation evidence (docs/attestation.md section
// 6.2): a thread of its own, off the reactors, so that a slow quote never stalls a connection.
// It sleeps until AttestedSessions::refresh_due says the next quote is due.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "attested/attested_sessions.hpp"

namespace attestmq::server {

class EvidenceRefresher {
 public:
  // Starts the thread, unless nothing is cached; each refresh is logged through `log`.
  EvidenceRefresher(attested::AttestedSessions& sessions, attested::AttestedSessions::Log log);
  // Stops and joins the thread.
  ~EvidenceRefresher();
  EvidenceRefresher(const EvidenceRefresher&) = delete;
  EvidenceRefresher& operator=(const EvidenceRefresher&) = delete;

 private:
  void run();

  attested::AttestedSessions& sessions_;
  const attested::AttestedSessions::Log log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mutex_
  std::thread thread_;
};

}  // namespace attestmq::server
