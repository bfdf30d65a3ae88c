// The native Store: records come back in (kind, key) order after a reopen, only committed
// changes count, and a file that is not a sound AttestMQ database is refused whole, with a
// sentence naming the file and the fault.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../support/scratch_dir.hpp"
#include "store/sqlite_store.hpp"

namespace attestmq::store {
namespace {

using broker::RecordKind;
using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::unique_ptr<SqliteStore> open_ok(const std::string& path, SyncPolicy sync = SyncPolicy::full) {
  auto opened = SqliteStore::open(path, sync);
  if (auto* error = std::get_if<std::string>(&opened)) {
    ADD_FAILURE() << *error;
    return nullptr;
  }
  return std::get<0>(std::move(opened));
}

std::string open_error(const std::string& path) {
  auto opened = SqliteStore::open(path, SyncPolicy::full);
  if (auto* error = std::get_if<std::string>(&opened)) return *error;
  return "(opened)";
}

// Every record, as "kind:key=value".
std::vector<std::string> contents(SqliteStore& store) {
  std::vector<std::string> out;
  auto error = store.load([&](RecordKind kind, std::span<const std::uint8_t> key,
                              std::span<const std::uint8_t> value) -> std::optional<std::string> {
    out.push_back(std::to_string(static_cast<int>(kind)) + ":" + std::string(key.begin(), key.end()) +
                  "=" + std::string(value.begin(), value.end()));
    return std::nullopt;
  });
  EXPECT_FALSE(error) << *error;
  return out;
}

// Runs raw SQL on a database file, as another program (or an attacker with the disk) would.
void sql(const std::string& path, const std::string& statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path(const char* name = "attestmq.db") const { return (dir_.path() / name).string(); }
  attestmq::testing::ScratchDir dir_;
};

TEST_F(SqliteStoreTest, CommittedRecordsComeBackInKindAndKeyOrder) {
  {
    auto store = open_ok(path());
    store->put(RecordKind::retained, bytes("t/b"), bytes("B"));
    store->put(RecordKind::session, bytes("c2"), bytes("S2"));
    store->put(RecordKind::retained, bytes("t/a"), bytes("A"));
    store->put(RecordKind::session, bytes("c1"), bytes("S1"));
    store->put(RecordKind::session, bytes("c1"), bytes("S1'"));  // replaces
    store->erase(RecordKind::session, bytes("c2"));
    EXPECT_TRUE(store->pending());
    EXPECT_FALSE(store->commit());
    EXPECT_FALSE(store->pending());
  }
  auto store = open_ok(path());
  EXPECT_EQ(contents(*store), (std::vector<std::string>{"1:c1=S1'", "3:t/a=A", "3:t/b=B"}));
}

TEST_F(SqliteStoreTest, EverySyncPolicyOpensAndCommits) {
  for (SyncPolicy sync : {SyncPolicy::full, SyncPolicy::normal, SyncPolicy::off}) {
    const std::string file = path(("db-" + std::to_string(static_cast<int>(sync))).c_str());
    {
      auto store = open_ok(file, sync);
      store->put(RecordKind::retained, bytes("t"), bytes("v"));
      EXPECT_FALSE(store->commit());
    }
    EXPECT_EQ(contents(*open_ok(file)), std::vector<std::string>{"3:t=v"});
  }
}

// A crash between two commits: what the second would have made durable is not there, and the
// database is still whole. Simulated by copying the files, as a kill would leave them, while
// the second transaction is open.
TEST_F(SqliteStoreTest, WhatWasNotCommittedIsNotThereAfterACrash) {
  auto store = open_ok(path());
  store->put(RecordKind::retained, bytes("kept"), bytes("1"));
  ASSERT_FALSE(store->commit());
  for (int i = 0; i < 5000; ++i)  // more than SQLite's page cache: some of it reaches the WAL
    store->put(RecordKind::retained, bytes("lost/" + std::to_string(i)), Bytes(500, 'x'));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (std::filesystem::exists(path() + suffix))
      std::filesystem::copy_file(path() + suffix, path("crashed.db") + suffix);
  }
  EXPECT_EQ(contents(*open_ok(path("crashed.db"))), std::vector<std::string>{"3:kept=1"});
}

// The log is copied into the database by the checkpoint thread once it passes 1,000 pages;
// commits on the caller's thread only append to the log.
TEST_F(SqliteStoreTest, TheCheckpointThreadMovesTheLogIntoTheDatabase) {
  auto store = open_ok(path());
  const auto empty_size = std::filesystem::file_size(path());
  for (int i = 0; i < 3000; ++i) {
    store->put(RecordKind::retained, bytes("topic/" + std::to_string(i)), Bytes(2000, 'x'));
    if (i % 100 == 99) {
      ASSERT_FALSE(store->commit());
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::filesystem::file_size(path()) < empty_size + 4'000'000 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(std::filesystem::file_size(path()), empty_size + 4'000'000);
}

// Queued messages are private: the database and its log are created for their owner only.
TEST_F(SqliteStoreTest, TheDatabaseIsCreatedReadableByItsOwnerOnly) {
  auto store = open_ok(path());
  store->put(RecordKind::retained, bytes("t"), bytes("secret"));
  ASSERT_FALSE(store->commit());
  for (const char* suffix : {"", "-wal"}) {
    const auto permissions = std::filesystem::status(path() + suffix).permissions();
    EXPECT_EQ(permissions & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << suffix;
  }
}

TEST_F(SqliteStoreTest, AMissingDirectoryIsNamed) {
  const std::string missing = (dir_.path() / "no-such-dir" / "attestmq.db").string();
  EXPECT_EQ(open_error(missing),
            "persistence file " + missing + ": cannot create it: No such file or directory");
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseIsRefusedByName) {
  std::ofstream(path()) << "mosquitto.db is a different format altogether, and longer than a page header";
  const std::string error = open_error(path());
  EXPECT_NE(error.find("persistence file " + path()), std::string::npos) << error;
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
}

TEST_F(SqliteStoreTest, AnotherProgramsDatabaseIsRefused) {
  sql(path(), "CREATE TABLE notes(text)");
  EXPECT_NE(open_error(path()).find("not an AttestMQ database (application_id 0x00000000)"), std::string::npos)
      << open_error(path());
}

TEST_F(SqliteStoreTest, ANewerSchemaIsRefused) {
  open_ok(path());
  sql(path(), "PRAGMA user_version=2");
  EXPECT_NE(open_error(path()).find("schema version 2, this broker reads version 1"), std::string::npos)
      << open_error(path());
}

TEST_F(SqliteStoreTest, ARecordOfAnUnknownKindStopsTheLoad) {
  open_ok(path());
  sql(path(), "INSERT INTO records VALUES(9, x'01', x'02')");
  auto store = open_ok(path());
  const auto error = store->load([](RecordKind, auto, auto) { return std::optional<std::string>(); });
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("a record of unknown kind 9"), std::string::npos) << *error;
}

TEST_F(SqliteStoreTest, TheVisitorsRefusalStopsTheLoadAndNamesTheFile) {
  {
    auto store = open_ok(path());
    store->put(RecordKind::session, bytes("a"), bytes("1"));
    store->put(RecordKind::session, bytes("b"), bytes("2"));
    ASSERT_FALSE(store->commit());
  }
  auto store = open_ok(path());
  int visited = 0;
  const auto error = store->load([&](RecordKind, auto, auto) {
    ++visited;
    return std::optional<std::string>("bad record");
  });
  EXPECT_EQ(visited, 1);
  ASSERT_TRUE(error);
  EXPECT_EQ(*error, "persistence file " + path() + ": bad record");
}

// A database cut short (a full disk, a bad copy) fails its integrity check or its first read,
// and is never half-loaded.
TEST_F(SqliteStoreTest, ATruncatedDatabaseIsRefused) {
  {
    auto store = open_ok(path());
    for (int i = 0; i < 2000; ++i)
      store->put(RecordKind::retained, bytes("topic/" + std::to_string(i)), Bytes(200, 'x'));
    ASSERT_FALSE(store->commit());
  }
  sql(path(), "PRAGMA wal_checkpoint(TRUNCATE)");
  const auto size = std::filesystem::file_size(path());
  ASSERT_GT(size, 64u * 1024);
  std::filesystem::resize_file(path(), size / 2);
  const std::string error = open_error(path());
  EXPECT_NE(error.find("persistence file " + path()), std::string::npos) << error;
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
}

}  // namespace
}  // namespace attestmq::store
