// `attestmq pub/sub` TLS flags, spelled and checked as mosquitto_pub(1) does.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/command_line.hpp"

namespace attestmq::client {
namespace {

struct Parsed {
  std::optional<int> exit_code;
  std::optional<tls::ClientTlsOptions> tls;
  int port = 0;
};

Parsed parse(std::vector<std::string> args) {
  CommandLine cli("attestmq pub", "test", kConnectProperties, "");
  args.insert(args.begin(), "attestmq pub");
  args.push_back("--quiet");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  Parsed parsed;
  parsed.exit_code = cli.parse(static_cast<int>(argv.size()), argv.data());
  parsed.tls = cli.tls();
  parsed.port = cli.common().port;
  return parsed;
}

TEST(TlsArguments, PlainTcpWithoutTlsOptions) {
  const Parsed parsed = parse({"-h", "broker"});
  EXPECT_FALSE(parsed.exit_code);
  EXPECT_FALSE(parsed.tls);
  EXPECT_EQ(parsed.port, 1883);
}

TEST(TlsArguments, CafileEnablesTlsOnPort8883AndNamesTheHost) {
  const Parsed parsed = parse({"-h", "broker.example", "--cafile", "ca.pem"});
  ASSERT_FALSE(parsed.exit_code);
  ASSERT_TRUE(parsed.tls);
  EXPECT_EQ(parsed.port, 8883);
  EXPECT_EQ(parsed.tls->cafile, "ca.pem");
  EXPECT_EQ(parsed.tls->server_name, "broker.example");
  EXPECT_TRUE(parsed.tls->verify_hostname);
}

TEST(TlsArguments, ExplicitPortWins) {
  EXPECT_EQ(parse({"--capath", "/etc/ssl/certs", "-p", "1884"}).port, 1884);
}

TEST(TlsArguments, EveryOptionReachesTheTlsSettings) {
  const Parsed parsed =
      parse({"--cafile", "ca.pem", "--cert", "c.pem", "--key", "c.key", "--insecure",
             "--tls-version", "tlsv1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"});
  ASSERT_FALSE(parsed.exit_code);
  ASSERT_TRUE(parsed.tls);
  EXPECT_EQ(parsed.tls->certfile, "c.pem");
  EXPECT_EQ(parsed.tls->keyfile, "c.key");
  EXPECT_FALSE(parsed.tls->verify_hostname);
  EXPECT_EQ(parsed.tls->tls_version, "tlsv1.2");
  EXPECT_EQ(parsed.tls->ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
}

TEST(TlsArguments, PskIsHexadecimal) {
  const Parsed parsed = parse({"--psk", "00a1FF", "--psk-identity", "sensor"});
  ASSERT_FALSE(parsed.exit_code);
  ASSERT_TRUE(parsed.tls);
  EXPECT_EQ(parsed.tls->psk_key, (std::vector<std::uint8_t>{0x00, 0xa1, 0xff}));
  EXPECT_EQ(parsed.tls->psk_identity, "sensor");
  EXPECT_EQ(parsed.port, 8883);
}

TEST(TlsArguments, UsageErrorsExitWithOne) {
  const std::vector<std::vector<std::string>> wrong = {
      {"--psk", "1234"},                                       // no --psk-identity
      {"--psk", "1234", "--psk-identity", "x", "--cafile", "ca.pem"},  // exclusive
      {"--psk", "12345", "--psk-identity", "x"},               // odd number of digits
      {"--psk", "zz", "--psk-identity", "x"},                  // not hexadecimal
      {"--cafile", "ca.pem", "--cert", "c.pem"},               // no --key
      {"--cafile", "ca.pem", "--tls-version", "tlsv1.1"},      // OpenSSL 3 refuses it
      {"--insecure"},                                          // TLS option without TLS
  };
  for (const auto& args : wrong) {
    const Parsed parsed = parse(args);
    EXPECT_EQ(parsed.exit_code, 1) << args[0] << " " << args[1];
  }
}

TEST(TlsArguments, ErrorMessagesNameTheOption) {
  tls::ClientTlsOptions options;
  std::string error;
  TlsArguments arguments;
  arguments.psk = "1234";
  EXPECT_FALSE(client_tls_options(arguments, "localhost", options, error));
  EXPECT_EQ(error, "--psk-identity required if --psk used.");
  arguments.psk_identity = "x";
  arguments.cafile = "ca.pem";
  EXPECT_FALSE(client_tls_options(arguments, "localhost", options, error));
  EXPECT_EQ(error, "Only one of --psk or --cafile/--capath may be used at once.");
}

}  // namespace
}  // namespace attestmq::client
