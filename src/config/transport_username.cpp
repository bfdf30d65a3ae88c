#include "config/transport_username.hpp"

namespace attestmq::config {

TransportUsername transport_username(const ListenerTls& options, const tls::PeerIdentity& peer) {
  TransportUsername result;
  if (options.use_identity_as_username) {
    result.username = peer.psk_identity.empty() ? peer.certificate_cn : peer.psk_identity;
  } else if (options.use_subject_as_username) {
    result.username = peer.certificate_subject;
  }
  if (result.username && result.username->empty()) {
    const bool identity = options.use_identity_as_username;
    const char* lacking = peer.certificate_subject.empty() ? "sent no certificate"
                                                           : "has a certificate without a CN";
    result.refusal = std::string(identity ? "use_identity_as_username" : "use_subject_as_username") +
                     " is set and it " + (identity ? lacking : "sent no certificate");
  }
  return result;
}

}  // namespace attestmq::config
