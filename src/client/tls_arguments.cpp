#include "client/tls_arguments.hpp"

#include <charconv>

namespace attestmq::client {

bool parse_hex_key(const std::string& text, std::vector<std::uint8_t>& key) {
  if (text.empty() || text.size() % 2 != 0) return false;
  key.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    std::uint8_t byte = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, byte, 16);
    if (ec != std::errc() || end != text.data() + i + 2) return false;
    key.push_back(byte);
  }
  return true;
}

void add_tls_options(CLI::App& app, TlsArguments& a) {
  app.add_option("--cafile", a.cafile, "CA certificates (PEM) to verify the server: enables TLS");
  app.add_option("--capath", a.capath,
                 "directory of CA certificates (c_rehash layout) to verify the server: enables TLS");
  app.add_option("--cert", a.certfile, "client certificate (PEM) for mutual TLS; needs --key");
  app.add_option("--key", a.keyfile, "private key (PEM) of --cert");
  app.add_flag("--insecure", a.insecure,
               "do not check that the server certificate's name matches the host");
  app.add_option("--tls-version", a.tls_version, "tlsv1.3 or tlsv1.2 only (default: both)");
  app.add_option("--ciphers", a.ciphers, "OpenSSL cipher list for TLS 1.2");
  app.add_option("--psk", a.psk, "pre-shared key in hexadecimal (no leading 0x): enables TLS-PSK");
  app.add_option("--psk-identity", a.psk_identity, "identity sent with --psk");
}

bool client_tls_options(const TlsArguments& a, const std::string& host,
                        tls::ClientTlsOptions& options, std::string& error) {
  if (!a.psk.empty() && (!a.cafile.empty() || !a.capath.empty())) {
    error = "Only one of --psk or --cafile/--capath may be used at once.";
    return false;
  }
  if (!a.psk.empty() && a.psk_identity.empty()) {
    error = "--psk-identity required if --psk used.";
    return false;
  }
  if (a.certfile.empty() != a.keyfile.empty()) {
    error = "Both certfile and keyfile must be provided if one of them is set.";
    return false;
  }
  if (!a.enabled()) {
    if (!a.certfile.empty() || a.insecure || !a.tls_version.empty() || !a.ciphers.empty() ||
        !a.psk_identity.empty()) {
      error = "TLS options need --cafile, --capath or --psk to enable TLS.";
      return false;
    }
    return true;
  }
  if (!a.tls_version.empty() && a.tls_version != "tlsv1.3" && a.tls_version != "tlsv1.2") {
    error = "Invalid --tls-version '" + a.tls_version + "': use tlsv1.3 or tlsv1.2.";
    return false;
  }
  options = tls::ClientTlsOptions{};
  if (!a.psk.empty() && !parse_hex_key(a.psk, options.psk_key)) {
    error = "Invalid --psk '" + a.psk + "': expected an even number of hexadecimal digits.";
    return false;
  }
  options.cafile = a.cafile;
  options.capath = a.capath;
  options.certfile = a.certfile;
  options.keyfile = a.keyfile;
  options.server_name = host;
  options.verify_hostname = !a.insecure;
  options.tls_version = a.tls_version;
  options.ciphers = a.ciphers;
  options.psk_identity = a.psk_identity;
  return true;
}

}  // namespace attestmq::client
