#include "mosquitto_broker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "client/tcp_transport.hpp"
#include "reference_programs.hpp"

namespace attestmq::client::testing {
namespace {

bool accepts_connections(std::uint16_t port) {
  std::unique_ptr<Transport> probe;
  return TcpTransport::connect("127.0.0.1", port, std::chrono::milliseconds(200), probe).ok();
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

MosquittoBroker::MosquittoBroker(const std::string& extra_config) {
  if (const auto found = test::installed(test::kMosquitto); !found) {
    failure_ = found.message();
    return;
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "attestmq-client-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    failure_ = "mkdtemp " + pattern + ": " + std::strerror(errno);
    return;
  }
  directory_ = pattern;
  // Started as root, mosquitto drops to the mosquitto user, which must still read our files.
  std::filesystem::permissions(directory_, std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec);
  port_ = free_port();
  const auto config = directory_ / "mosquitto.conf";
  const auto log = directory_ / "mosquitto.log";
  std::ofstream(config) << "listener " << port_ << " 127.0.0.1\n" << extra_config;

  pid_ = ::fork();
  if (pid_ == 0) {
    const std::string config_path = config.string();
    const std::string log_path = log.string();
    std::freopen(log_path.c_str(), "w", stderr);
    std::freopen(log_path.c_str(), "a", stdout);
    ::execl(test::kMosquitto, "mosquitto", "-c", config_path.c_str(), "-v",
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  if (pid_ < 0) {
    failure_ = std::string("fork: ") + std::strerror(errno);
    return;
  }
  const std::string address = "127.0.0.1:" + std::to_string(port_);
  std::string outcome = "did not listen on " + address + " within 5 s";
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (accepts_connections(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      outcome = (WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                   : "was killed by signal " + std::to_string(WTERMSIG(status))) +
                " before listening on " + address;
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::ostringstream output;
  output << std::ifstream(log).rdbuf();
  failure_ = std::string(test::kMosquitto) + " " + outcome + "; its output: " +
             (output.str().empty() ? "none" : "\n" + output.str());
}

::testing::AssertionResult MosquittoBroker::started() const {
  if (failure_.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << failure_;
}

MosquittoBroker::~MosquittoBroker() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

Status MosquittoBroker::connect(const ConnectOptions& options,
                                std::unique_ptr<Client>& client) const {
  std::unique_ptr<Transport> transport;
  if (Status opened = TcpTransport::connect("127.0.0.1", port_, std::chrono::seconds(5), transport);
      !opened.ok()) {
    return opened;
  }
  client = std::make_unique<Client>(std::move(transport));
  return client->connect(options);
}

ConnectOptions test_options(mqtt::Version version, const std::string& client_id) {
  ConnectOptions options;
  options.version = version;
  options.client_id = client_id;
  options.timeout = std::chrono::seconds(5);
  return options;
}

}  // namespace attestmq::client::testing
