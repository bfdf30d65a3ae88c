#pragma once
// The TLS options `attestmq pub`, `attestmq sub` and `attestmq bench` share, spelled as
// mosquitto_pub(1) spells them, and the checks mosquitto makes before it connects.
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tls/context.hpp"

namespace attestmq::client {

// The port mosquitto_pub uses when TLS is on and -p is not given (IANA "secure-mqtt").
inline constexpr int kSecureMqttPort = 8883;

struct TlsArguments {
  std::string cafile;
  std::string capath;
  std::string certfile;
  std::string keyfile;
  bool insecure = false;
  std::string tls_version;
  std::string ciphers;
  std::string psk;  // hexadecimal key
  std::string psk_identity;

  // As in mosquitto: TLS is on when a CA or a pre-shared key is given.
  bool enabled() const { return !cafile.empty() || !capath.empty() || !psk.empty(); }
};

// --cafile, --capath, --cert, --key, --insecure, --tls-version, --ciphers, --psk,
// --psk-identity.
void add_tls_options(CLI::App& app, TlsArguments& arguments);

// A pre-shared key as mosquitto_pub's --psk spells it: hexadecimal digits, an even number
// of them, no leading 0x. False when `text` is not that.
bool parse_hex_key(const std::string& text, std::vector<std::uint8_t>& key);

// Checks the combination and fills `options` for a connection to `host`; false with `error`
// naming the offending option ("--psk-identity required if --psk used.").
bool client_tls_options(const TlsArguments& arguments, const std::string& host,
                        tls::ClientTlsOptions& options, std::string& error);

}  // namespace attestmq::client
