#pragma once
// Copies the write-ahead log back into the database on a thread of its own, so that the event
// loop only ever appends to the log: a checkpoint (and, with `full` or `normal`, its fsync of
// the database file) never stalls the broker. SQLite's own automatic checkpoint would run it
// inside whichever commit crossed the threshold, on the event loop.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

struct sqlite3;

namespace attestmq::store {

class Checkpointer {
 public:
  // Opens its own connection to the database at `path` (which exists and is in WAL mode).
  static std::optional<std::string> start(const std::string& path, std::unique_ptr<Checkpointer>& out);
  ~Checkpointer();  // a last checkpoint, then the thread ends
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Any thread: the log has grown past the threshold; checkpoint soon.
  void nudge();

 private:
  explicit Checkpointer(sqlite3* db);
  void run();

  sqlite3* db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool nudged_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace attestmq::store
