#pragma once
// The native host's Store (broker/store.hpp): one SQLite database in WAL mode, holding the
// engine's records in a single table keyed by (kind, key). Changes gather in one open
// transaction and become durable together at commit(), which the server calls once per turn
// of its event loop (group commit): a QoS 1 burst costs one commit, not one per message.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

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
  bool pending() const { return in_transaction_; }
  // Makes every change since the last commit durable, as the SyncPolicy promises. An error
  // (also one from an earlier put or erase) is returned and the changes must be taken as lost.
  std::optional<std::string> commit();

  // Visits every record in (kind, key) order, stopping at the first error `visit` returns.
  using Visitor = std::function<std::optional<std::string>(
      broker::RecordKind, std::span<const std::uint8_t>, std::span<const std::uint8_t>)>;
  std::optional<std::string> load(const Visitor& visit);

  const std::string& path() const { return path_; }

 private:
  SqliteStore(sqlite3* db, std::string path);
  std::optional<std::string> prepare();
  void begin();
  void note_failure(const char* doing);
  std::string fault(const char* doing) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  bool in_transaction_ = false;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::optional<std::string> failure_;  // the first failed put or erase since the last commit
};

}  // namespace attestmq::store
