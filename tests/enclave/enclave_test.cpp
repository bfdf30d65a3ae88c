// attestmq-enclave's loop with the real engine module, driven turn by turn on the test's
// thread, against Debian's mosquitto_pub and mosquitto_sub: TLS ends inside the module (the
// runner's I/O never holds a published payload in clear), and a trap in the middle of traffic
// closes that instance's connections while the runner goes on serving new ones.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_parser.hpp"
#include "reference_programs.hpp"
#include "test_pki.hpp"
#include "wasm/runner/enclave/enclave.hpp"

extern char** environ;

namespace attestmq::wasm::test {
namespace {

using attestmq::test::kMosquittoPub;
using attestmq::test::kMosquittoSub;

class EnclaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(attestmq::test::installed(kMosquittoPub));
    const std::string config_file = pki.write_file(
        "enclave.conf",
        "log_type error\nallow_anonymous true\n"
        "listener 0 127.0.0.1\n"
        "listener 0 127.0.0.1\ncertfile " + pki.server.certfile + "\nkeyfile " + pki.server.keyfile + "\n");
    auto loaded = config::load_config_file(config_file);
    ASSERT_TRUE(std::holds_alternative<config::BrokerConfig>(loaded));
    std::string arguments = "config=" + config_file;
    arguments.push_back('\0');
    auto created = Enclave::create(std::get<config::BrokerConfig>(std::move(loaded)), arguments);
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Enclave>>(created)) << std::get<std::string>(created);
    enclave = std::move(std::get<std::unique_ptr<Enclave>>(created));
    ASSERT_EQ(enclave->addresses().size(), 2u);
    plain_port = std::to_string(enclave->addresses()[0].port);
    tls_port = std::to_string(enclave->addresses()[1].port);
    enclave->observe_io([this](std::span<const std::uint8_t> bytes) { io.append(bytes.begin(), bytes.end()); });
  }

  void TearDown() override {
    if (!enclave) return;
    enclave->request_stop();
    while (enclave->run_once(10)) {
    }
  }

  // Runs `argv` to its end while the enclave serves; returns its standard output.
  std::string run(std::vector<std::string> argv) {
    int output[2];
    EXPECT_EQ(::pipe(output), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, output[0]);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    pid_t child = 0;
    EXPECT_EQ(posix_spawn(&child, args[0], &actions, nullptr, args.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(output[1]);
    int status = 0;
    while (::waitpid(child, &status, WNOHANG) == 0) enclave->run_once(5);
    std::string text;
    char chunk[4096];
    for (ssize_t got; (got = ::read(output[0], chunk, sizeof chunk)) > 0;) text.append(chunk, static_cast<std::size_t>(got));
    ::close(output[0]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << argv[0] << " failed";
    return text;
  }

  // Publishes `payload` retained on `port`, then reads it back with a new subscriber.
  std::string round_trip(const std::string& port, const std::string& payload, bool tls) {
    std::vector<std::string> tls_options;
    if (tls) tls_options = {"--cafile", pki.ca_file};
    std::vector<std::string> pub = {kMosquittoPub, "-h", "127.0.0.1", "-p", port, "-t", "marker", "-r", "-m", payload};
    std::vector<std::string> sub = {kMosquittoSub, "-h", "127.0.0.1", "-p", port, "-t", "marker", "-C", "1", "-W", "10"};
    pub.insert(pub.end(), tls_options.begin(), tls_options.end());
    sub.insert(sub.end(), tls_options.begin(), tls_options.end());
    run(pub);
    return run(sub);
  }

  attestmq::test::TestPki pki;
  std::unique_ptr<Enclave> enclave;
  std::string plain_port;
  std::string tls_port;
  std::string io;  // every byte the runner read from or wrote to a socket
};

// The runner refuses to attest unless the measurement compiled into it is exactly a SHA-256.
TEST(EnclaveMeasurement, OnlyAHexSha256IsAMeasurement) {
  const std::string good(64, 'a');
  const auto parsed = Enclave::measurement_from_hex(good);
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)[0], 0xaa);
  EXPECT_EQ((*parsed)[31], 0xaa);
  for (const std::string& bad : {std::string(), std::string(62, 'a'), std::string(66, 'a'),
                                std::string(63, 'a'), "zz" + std::string(62, 'a')}) {
    EXPECT_FALSE(Enclave::measurement_from_hex(bad)) << bad;
  }
  EXPECT_TRUE(Enclave::measurement_from_hex(kAttestmqEngineSha256));
}

TEST_F(EnclaveTest, TlsPayloadsNeverReachTheRunnersBuffersInClear) {
  const std::string marker = "MARKER-3f9c1e7a-only-the-module-sees-this";
  EXPECT_EQ(round_trip(tls_port, marker, true), marker + "\n");
  EXPECT_FALSE(io.empty());
  EXPECT_EQ(io.find(marker), std::string::npos);
  EXPECT_EQ(io.find("marker"), std::string::npos) << "the topic name crossed the runner in clear";
  // The scan sees the runner's traffic: on the plain listener the same payload is in clear.
  EXPECT_EQ(round_trip(plain_port, marker, false), marker + "\n");
  EXPECT_NE(io.find(marker), std::string::npos);
}

// A raw MQTT 3.1.1 client on the plain listener: CONNECT, then whatever the test sends.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::vector<std::uint8_t>& bytes) { ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
  // What the broker sent until now, or -1 once it closed the connection.
  ssize_t read_available(std::vector<std::uint8_t>& into) {
    std::uint8_t chunk[1024];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (got > 0) into.insert(into.end(), chunk, chunk + got);
    if (got == 0) return -1;
    return got < 0 ? 0 : got;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// CONNECT, MQTT 3.1.1, clean session, keep alive 60, client id "trap".
const std::vector<std::uint8_t> kConnect = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                            0x00, 0x3c, 0x00, 0x04, 't', 'r', 'a', 'p'};
const std::vector<std::uint8_t> kPingreq = {0xc0, 0x00};

TEST_F(EnclaveTest, ATrapInTheMiddleOfTrafficClosesItsConnectionsAndTheRunnerGoesOn) {
  RawClient client(enclave->addresses()[0].port);
  ASSERT_TRUE(client.connected());
  client.send(kConnect);
  std::vector<std::uint8_t> received;
  for (int turn = 0; turn < 400 && received.size() < 4; ++turn) {
    enclave->run_once(5);
    client.read_available(received);
  }
  ASSERT_EQ(received, (std::vector<std::uint8_t>{0x20, 0x02, 0x00, 0x00})) << "no CONNACK";

  // A memory-corrupting bug in the module, as the next call meets it: every pointer the
  // module loads now lies outside its memory.
  const GuestMemory memory = enclave->guest_memory();
  const auto everything = memory.span(0, memory.size());
  ASSERT_TRUE(everything);
  std::memset(everything->data(), 0xff, everything->size());
  client.send(kPingreq);
  bool closed = false;
  for (int turn = 0; turn < 400 && !closed; ++turn) {
    enclave->run_once(5);
    std::vector<std::uint8_t> more;
    closed = client.read_available(more) < 0;
    EXPECT_TRUE(more.empty()) << "a trapped instance answered";
  }
  EXPECT_TRUE(closed) << "the trapped instance's connection stayed open";
  EXPECT_EQ(enclave->instances_created(), 2u);

  // A fresh instance, configured again, serves both listeners.
  EXPECT_EQ(round_trip(plain_port, "after the trap", false), "after the trap\n");
  EXPECT_EQ(round_trip(tls_port, "after the trap, TLS", true), "after the trap, TLS\n");
}

}  // namespace
}  // namespace attestmq::wasm::test
