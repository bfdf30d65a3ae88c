// An independent peer: Debian's mosquitto_pub and mosquitto_sub against the server.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "reference_programs.hpp"
#include "test_peer.hpp"

namespace attestmq::server {
namespace {

// Runs `command` through the shell; returns its stdout and sets `status` to its exit status.
std::string run(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return output;
  }
  char chunk[256];
  while (std::fgets(chunk, sizeof chunk, pipe) != nullptr) output += chunk;
  status = ::pclose(pipe);
  return output;
}

class MosquittoClients : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::installed(test::kMosquittoPub));
    ASSERT_TRUE(test::installed(test::kMosquittoSub));
  }
};

TEST_P(MosquittoClients, RetainedMessageRoundTrip) {
  testing::RunningServer running(testing::loopback_config(GetParam()));
  const std::string port = std::to_string(running.port());
  int status = 0;
  run(std::string(test::kMosquittoPub) + " -h 127.0.0.1 -p " + port +
          " -V mqttv311 -q 1 -r -t greet/en -m hello",
      status);
  ASSERT_EQ(status, 0);
  const std::string received = run(std::string(test::kMosquittoSub) + " -h 127.0.0.1 -p " + port +
                                       " -V mqttv5 -t 'greet/#' -v -C 1 -W 5",
                                   status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(received, "greet/en hello\n");
}

INSTANTIATE_TEST_SUITE_P(Threads, MosquittoClients, ::testing::Values(1u, 2u));

}  // namespace
}  // namespace attestmq::server
