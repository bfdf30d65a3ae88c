#pragma once
// What a person watching a run sees and can do: a progress line on a terminal, rewritten about
// once a second, and Ctrl-C (SIGINT) or SIGTERM ending the measurement early with a report of
// what was measured so far. A second signal kills the process as usual.
#include <cstdint>
#include <string>

namespace attestmq::app::bench {

void install_stop_handler();
bool stop_requested();

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Whether the line is due again at `now`; then the caller builds it and calls show().
  bool due(std::int64_t now) const { return enabled_ && now >= next_ns_; }
  void show(std::int64_t now, const std::string& text);
  // Ends the line, so that what is printed next starts on a line of its own.
  void finish();

 private:
  bool enabled_;
  bool shown_ = false;
  std::int64_t next_ns_ = 0;
};

}  // namespace attestmq::app::bench
