#pragma once
// The native host's Store (broker/store.hpp): one SQLite database in WAL mode, holding the
// engine's records in a single table keyed by (kind, key). Changes gather in memory, only the
// last one per record kept, and reach the database together at commit(), in one transaction
// (group commit): a QoS 1 burst costs one commit, not one per message, and a message that is
// stored and acknowledged between two commits costs the database nothing but a lookup.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "broker/store.hpp"
#include "store/checkpointer.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace attestmq::store {

// What a commit waits for (SQLite's `synchronous`, in WAL mode): docs/configuration.md.
enum class SyncPolicy : std::uint8_t {
  full,    // fsync at every commit: survives a power loss
  normal,  // no fsync at commit, only at checkpoints: survives a crash of the broker, not of the OS
  off,     // never fsync: survives a crash of the broker only
};

class SqliteStore final : public broker::Store {
 public:
  // Opens the database at `path`, creating it if missing, and checks it before anything is
  // read: a file that is not an AttestMQ database, a newer schema, or a failed integrity check
  // is refused with a sentence naming the file and the fault.
  static std::variant<std::unique_ptr<SqliteStore>, std::string> open(const std::string& path,
                                                                      SyncPolicy sync);
  ~SqliteStore() override;  // commits what is pending
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void put(broker::RecordKind kind, std::span<const std::uint8_t> key,
           std::span<const std::uint8_t> value) override;
  void erase(broker::RecordKind kind, std::span<const std::uint8_t> key) override;

  // There are changes not yet committed.
  bool pending() const { return !changes_.empty() || failure_.has_value(); }
  // When the oldest change not yet committed was made.
  std::chrono::steady_clock::time_point pending_since() const { return pending_since_; }
  // Makes every change since the last commit durable, as the SyncPolicy promises. An error is
  // returned and the changes must then be taken as lost.
  std::optional<std::string> commit();
  // The same, fsynced whatever the SyncPolicy: for what must outlive a power loss before
  // anything outside the database moves on it (a sealed database's new epoch, before the
  // TEE's counter is raised to it).
  std::optional<std::string> commit_synced();
  // Forgets the changes since the last commit (their maker died before any depended on them).
  void discard() {
    changes_.clear();
    failure_.reset();
  }

  // Visits every record in (kind, key) order, stopping at the first error `visit` returns.
  using Visitor = std::function<std::optional<std::string>(
      broker::RecordKind, std::span<const std::uint8_t>, std::span<const std::uint8_t>)>;
  std::optional<std::string> load(const Visitor& visit);

  const std::string& path() const { return path_; }

 private:
  SqliteStore(sqlite3* db, std::string path, SyncPolicy sync);
  std::optional<std::string> prepare();
  void note_failure(const char* doing);
  std::string fault(const char* doing) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  SyncPolicy sync_;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  std::unique_ptr<Checkpointer> checkpointer_;
  // Since the last commit: record (kind byte, then key) -> its new value, or nullopt if erased.
  std::unordered_map<std::string, std::optional<std::vector<std::uint8_t>>> changes_;
  std::chrono::steady_clock::time_point pending_since_;
  std::optional<std::string> failure_;  // the first failure since the last commit
};

}  // namespace attestmq::store
