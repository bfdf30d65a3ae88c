#pragma once
// A real Debian mosquitto broker, started as a child process on a free 127.0.0.1 port with a
// temporary configuration, and stopped when the object goes away.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "client/client.hpp"

namespace attestmq::client::testing {

class MosquittoBroker {
 public:
  // `extra_config` is appended to "listener PORT 127.0.0.1"; it should say whether anonymous
  // clients are allowed. Tests begin with ASSERT_TRUE(broker.started()).
  explicit MosquittoBroker(const std::string& extra_config = "allow_anonymous true\n");
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // Success once mosquitto listens; otherwise a failure that says why: not installed (run
  // scripts/setup.sh), or did not start, with its log.
  ::testing::AssertionResult started() const;
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& directory() const { return directory_; }

  // A connected session with the given options (client id, version...), or a failed Status.
  Status connect(const ConnectOptions& options, std::unique_ptr<Client>& client) const;

 private:
  std::filesystem::path directory_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string failure_;  // why it is not running; empty once it listens
};

// A 127.0.0.1 TCP port that was free when asked.
std::uint16_t free_port();

// Options for a quick test session.
ConnectOptions test_options(mqtt::Version version, const std::string& client_id);

}  // namespace attestmq::client::testing
