#include "store/checkpointer.hpp"

#include <sqlite3.h>

#include <memory>

namespace attestmq::store {

std::optional<std::string> Checkpointer::start(const std::string& path, std::unique_ptr<Checkpointer>& out) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = "persistence file " + path + ": the checkpoint thread cannot open it: " +
                        sqlite3_errmsg(db);
    sqlite3_close(db);
    return error;
  }
  // A connection learns that the database is in WAL mode when it first reads it; until then
  // a checkpoint through it does nothing.
  if (sqlite3_exec(db, "PRAGMA journal_mode", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string error = "persistence file " + path + ": the checkpoint thread cannot read it: " +
                        sqlite3_errmsg(db);
    sqlite3_close(db);
    return error;
  }
  out.reset(new Checkpointer(db));
  return std::nullopt;
}

Checkpointer::Checkpointer(sqlite3* db) : db_(db), thread_([this] { run(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

void Checkpointer::nudge() {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return nudged_ || stopping_; });
    const bool last = stopping_;
    nudged_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs and never makes the writer wait. A busy or
    // failed checkpoint only leaves the log longer; the next nudge tries again.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    if (last) return;
  }
}

}  // namespace attestmq::store
