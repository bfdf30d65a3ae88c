#include "bench_progress.hpp"

#include <signal.h>

#include <atomic>
#include <cstdio>

namespace attestmq::app::bench {

namespace {

constexpr std::int64_t kInterval = 1'000'000'000;
std::atomic<bool> stop_signalled{false};

void on_stop_signal(int) { stop_signalled.store(true); }

}  // namespace

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  // The handler runs once: a second Ctrl-C finds the default action and ends the process.
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return stop_signalled.load(std::memory_order_relaxed); }

void ProgressLine::show(std::int64_t now, const std::string& text) {
  // "\r" and erase-to-end-of-line: the line is rewritten in place on a terminal.
  std::fprintf(stderr, "\r%s\033[K", text.c_str());
  std::fflush(stderr);
  shown_ = true;
  next_ns_ = now + kInterval;
}

void ProgressLine::finish() {
  if (shown_) std::fprintf(stderr, "\n");
  shown_ = false;
}

ProgressLine::~ProgressLine() { finish(); }

}  // namespace attestmq::app::bench
