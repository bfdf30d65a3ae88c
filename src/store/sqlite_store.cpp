#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace attestmq::store {

namespace {

// PRAGMA application_id: "ATMQ", so that another program's SQLite file is not taken for ours.
constexpr int kApplicationId = 0x41544D51;
constexpr int kSchemaVersion = 1;
// Log pages (of 4 KiB) after which the checkpoint thread is nudged: SQLite's own default.
constexpr int kCheckpointPages = 1000;

constexpr const char* kSchema =
    "CREATE TABLE records(kind INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, "
    "PRIMARY KEY (kind, key)) WITHOUT ROWID;";

const char* sync_pragma(SyncPolicy sync) {
  switch (sync) {
    case SyncPolicy::full:
      return "PRAGMA synchronous=FULL";
    case SyncPolicy::normal:
      return "PRAGMA synchronous=NORMAL";
    case SyncPolicy::off:
      return "PRAGMA synchronous=OFF";
  }
  return "PRAGMA synchronous=FULL";
}

// SQLite binds a null pointer as NULL, whatever the size: an empty blob needs a real address.
const void* blob(std::span<const std::uint8_t> bytes) {
  static const std::uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

}  // namespace

SqliteStore::SqliteStore(sqlite3* db, std::string path, SyncPolicy sync)
    : db_(db), path_(std::move(path)), sync_(sync) {}

std::string SqliteStore::fault(const char* doing) const {
  return "persistence file " + path_ + ": " + doing + ": " + sqlite3_errmsg(db_);
}

namespace {

// The database holds queued messages and sessions: created readable by its owner only. SQLite
// gives its -wal and -shm files the database's permissions.
std::optional<std::string> create_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return std::nullopt;
  }
  if (errno == EEXIST) return std::nullopt;
  return "persistence file " + path + ": cannot create it: " + std::strerror(errno);
}

}  // namespace

std::variant<std::unique_ptr<SqliteStore>, std::string> SqliteStore::open(const std::string& path,
                                                                         SyncPolicy sync) {
  if (auto error = create_private(path)) return *error;
  sqlite3* db = nullptr;
  // NOMUTEX: the store is used under the engine's lock only, so SQLite's own locks would be
  // paid for on every statement and never needed.
  const int opened = sqlite3_open_v2(path.c_str(), &db,
                                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path, sync));
  if (opened != SQLITE_OK) return store->fault("cannot open");

  // One integer from a query of one row.
  auto integer = [&](const char* sql, std::int64_t& out) -> std::optional<std::string> {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) return store->fault(sql);
    const int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) out = sqlite3_column_int64(stmt, 0);
    std::optional<std::string> error;
    if (step != SQLITE_ROW) error = store->fault(sql);
    sqlite3_finalize(stmt);
    return error;
  };
  std::int64_t tables = 0;
  if (auto error = integer("SELECT count(*) FROM sqlite_schema", tables)) return *error;
  if (tables == 0) {
    const std::string create = std::string("BEGIN;") + kSchema + "PRAGMA application_id=" +
                               std::to_string(kApplicationId) + ";PRAGMA user_version=" +
                               std::to_string(kSchemaVersion) + ";COMMIT;";
    if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
      return store->fault("cannot create the schema");
  }
  std::int64_t application = 0;
  std::int64_t version = 0;
  if (auto error = integer("PRAGMA application_id", application)) return *error;
  if (application != kApplicationId) {
    char id[16];
    std::snprintf(id, sizeof id, "0x%08llx", static_cast<unsigned long long>(application));
    return "persistence file " + path + ": not an AttestMQ database (application_id " + id + ")";
  }
  if (auto error = integer("PRAGMA user_version", version)) return *error;
  if (version != kSchemaVersion)
    return "persistence file " + path + ": schema version " + std::to_string(version) +
           ", this broker reads version " + std::to_string(kSchemaVersion);

  // A damaged file is refused whole, never half-loaded.
  sqlite3_stmt* check = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &check, nullptr) != SQLITE_OK)
    return store->fault("integrity check");
  std::string verdict;
  int step = sqlite3_step(check);
  if (step == SQLITE_ROW) verdict = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
  sqlite3_finalize(check);
  if (step != SQLITE_ROW) return store->fault("integrity check");
  if (verdict != "ok") return "persistence file " + path + ": integrity check failed: " + verdict;

  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK)
    return store->fault("cannot switch to WAL mode");
  if (sqlite3_exec(db, sync_pragma(sync), nullptr, nullptr, nullptr) != SQLITE_OK)
    return store->fault("cannot set the sync policy");
  if (auto error = store->prepare()) return *error;
  // Checkpoints happen on the checkpoint thread only (checkpointer.hpp).
  if (auto error = Checkpointer::start(path, store->checkpointer_)) return *error;
  sqlite3_wal_autocheckpoint(db, 0);
  sqlite3_wal_hook(
      db,
      [](void* context, sqlite3*, const char*, int pages) {
        if (pages >= kCheckpointPages) static_cast<Checkpointer*>(context)->nudge();
        return SQLITE_OK;
      },
      store->checkpointer_.get());
  return store;
}

std::optional<std::string> SqliteStore::prepare() {
  if (sqlite3_prepare_v3(db_, "INSERT OR REPLACE INTO records(kind, key, value) VALUES(?, ?, ?)", -1,
                         SQLITE_PREPARE_PERSISTENT, &put_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v3(db_, "DELETE FROM records WHERE kind = ? AND key = ?", -1,
                         SQLITE_PREPARE_PERSISTENT, &erase_, nullptr) != SQLITE_OK)
    return fault("cannot prepare statements");
  return std::nullopt;
}

SqliteStore::~SqliteStore() {
  commit();
  checkpointer_.reset();
  sqlite3_finalize(put_);
  sqlite3_finalize(erase_);
  sqlite3_close(db_);
}

void SqliteStore::note_failure(const char* doing) {
  if (!failure_) failure_ = fault(doing);
}

namespace {

std::string change_key(broker::RecordKind kind, std::span<const std::uint8_t> key) {
  std::string id(1, static_cast<char>(kind));
  id.append(key.begin(), key.end());
  return id;
}

}  // namespace

void SqliteStore::put(broker::RecordKind kind, std::span<const std::uint8_t> key,
                      std::span<const std::uint8_t> value) {
  if (changes_.empty()) pending_since_ = std::chrono::steady_clock::now();
  changes_[change_key(kind, key)].emplace(value.begin(), value.end());
}

void SqliteStore::erase(broker::RecordKind kind, std::span<const std::uint8_t> key) {
  if (changes_.empty()) pending_since_ = std::chrono::steady_clock::now();
  changes_[change_key(kind, key)].reset();
}

std::optional<std::string> SqliteStore::commit() {
  if (!pending()) return std::nullopt;
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) note_failure("cannot begin");
  for (const auto& [id, value] : changes_) {
    if (failure_) break;
    const auto kind = static_cast<unsigned char>(id[0]);
    const auto* key = reinterpret_cast<const std::uint8_t*>(id.data() + 1);
    const int key_size = static_cast<int>(id.size() - 1);
    sqlite3_stmt* stmt = value ? put_ : erase_;
    sqlite3_bind_int(stmt, 1, kind);
    sqlite3_bind_blob(stmt, 2, key, key_size, SQLITE_STATIC);
    if (value) sqlite3_bind_blob64(stmt, 3, blob(*value), value->size(), SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) note_failure(value ? "cannot write a record" : "cannot erase a record");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  changes_.clear();
  if (!failure_ && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    note_failure("cannot commit");
  if (failure_) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return std::exchange(failure_, std::nullopt);
  }
  return std::nullopt;
}

std::optional<std::string> SqliteStore::commit_synced() {
  if (sync_ == SyncPolicy::full) return commit();
  if (sqlite3_exec(db_, sync_pragma(SyncPolicy::full), nullptr, nullptr, nullptr) != SQLITE_OK) {
    discard();  // not committed at all, rather than committed without the sync it needed
    return fault("cannot set the sync policy");
  }
  auto error = commit();
  // Committed either way; a connection left at FULL is only slower.
  sqlite3_exec(db_, sync_pragma(sync_), nullptr, nullptr, nullptr);
  return error;
}

std::optional<std::string> SqliteStore::load(const Visitor& visit) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT kind, key, value FROM records ORDER BY kind, key", -1, &stmt,
                         nullptr) != SQLITE_OK)
    return fault("cannot read records");
  std::optional<std::string> error;
  int step = SQLITE_ROW;
  while (!error && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto kind = sqlite3_column_int64(stmt, 0);
    auto column = [&](int index) {
      const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, index));
      return std::span<const std::uint8_t>(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, index)));
    };
    if (kind < 0 || kind > 3) {
      error = "persistence file " + path_ + ": a record of unknown kind " + std::to_string(kind);
      break;
    }
    if (auto refused = visit(static_cast<broker::RecordKind>(kind), column(1), column(2)))
      error = "persistence file " + path_ + ": " + *refused;
  }
  if (!error && step != SQLITE_DONE) error = fault("cannot read records");
  sqlite3_finalize(stmt);
  return error;
}

}  // namespace attestmq::store
