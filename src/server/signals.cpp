// SIGINT/SIGTERM stop the server gracefully and SIGHUP reloads the TLS certificates and keys,
// the password files and the ACL files (Mosquitto reloads the latter two too); SIGPIPE is
// ignored, a peer that went away is noticed by send() instead.
#include <atomic>

#include "server/signals.hpp"

namespace attestmq::server {
namespace {

std::atomic<SignalTarget*> g_target{nullptr};

void on_stop_signal(int) {
  if (SignalTarget* target = g_target.load()) target->request_stop();
}

void on_reload_signal(int) {
  if (SignalTarget* target = g_target.load()) target->request_reload();
}

}  // namespace

StopOnSignals::StopOnSignals(SignalTarget& target) {
  g_target.store(&target);
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGINT, &stop, &previous_int_);
  sigaction(SIGTERM, &stop, &previous_term_);
  struct sigaction reload {};
  reload.sa_handler = on_reload_signal;
  sigemptyset(&reload.sa_mask);
  sigaction(SIGHUP, &reload, &previous_hup_);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &previous_pipe_);
}

StopOnSignals::~StopOnSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  sigaction(SIGHUP, &previous_hup_, nullptr);
  sigaction(SIGPIPE, &previous_pipe_, nullptr);
  g_target.store(nullptr);
}

HoldStopSignals::HoldStopSignals() {
  sigset_t held;
  sigemptyset(&held);
  sigaddset(&held, SIGINT);
  sigaddset(&held, SIGTERM);
  sigaddset(&held, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &held, &previous_);
}

HoldStopSignals::~HoldStopSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

}  // namespace attestmq::server
