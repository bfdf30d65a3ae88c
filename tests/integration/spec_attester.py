"""The attester's side of transport B (docs/attestation.md sections 5, 7.4 and evidence.md),
written from the specification like spec_client.py, for attack tests: a TLS server that holds
a sim platform key and answers one client's CONNECT with EVIDENCE it builds itself.

Honest, it is a faithful (SIMULATED) attester, which the real client accepts; that control
shows that when one field is then forged (the TLS key in the claims, the module, a flipped
byte), the client's refusal comes from that field alone. It models the strongest attacker the
protocol considers: one whose platform signs whatever REPORTDATA it is given."""
import hashlib
import socket
import threading
from dataclasses import dataclass

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from OpenSSL import SSL

import mqtt_wire
from attestation_vectors import BROKER_LABEL, claims, report_data, session_signature_input
from spec_client import (AUTHENTICATION_DATA, AUTHENTICATION_METHOD, CLAIMS_MEDIA_TYPE,
                         CONTINUE_AUTHENTICATION, ENVELOPE_TYPE, MEDIA_TYPES, METHOD,
                         TlsStream)


def spki_sha256(certificate_pem_path):
    """Claims key 5: SHA-256 of the certificate's SubjectPublicKeyInfo (section 5.1)."""
    with open(certificate_pem_path, "rb") as pem:
        certificate = x509.load_pem_x509_certificate(pem.read())
    return hashlib.sha256(certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()


def sim_report(platform_key, measurement, reportdata):
    """evidence.md section 4: 168 bytes, signed over the first 104 as r || s."""
    signed = b"AMQS" + b"\x00\x01" + b"\x00\x00" + measurement + reportdata
    return signed + raw_signature(platform_key, signed)


def evidence_message(envelope, cached=None):
    """Section 3.3: EVIDENCE, no flags; per-session mode, or cached mode with `cached` =
    (session claims, signature r || s)."""
    mode = 0x01 if cached is None else 0x02
    message = bytes([0x02, 0x01, mode, 0x00]) + len(envelope).to_bytes(4, "big") + envelope
    if cached is not None:
        claims_bytes, signature = cached
        message += len(claims_bytes).to_bytes(2, "big") + claims_bytes + signature
    return message


def raw_signature(private_key, data):
    """ECDSA P-256 / SHA-256 as r || s, 32 bytes each (evidence.md section 4, section 6.2)."""
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass
class Forgery:
    """What the attester claims; None means the honest value."""
    tls_key_sha256: bytes = None   # key 5; honest: its own certificate's
    module_sha256: bytes = None    # key 2; honest: the attester's `module`
    flip: int = None               # a byte of the EVIDENCE message to invert, after signing
    # Cached mode (section 6.2) with an envelope captured from a genuine broker: the session
    # claims are signed by `platform_key`, which the captured quote does not commit to.
    cached_envelope: bytes = None


class SpecAttester:
    """Serves one client on 127.0.0.1:`port` with `certificate`/`key`, answering its REQUEST
    with sim evidence by `platform_key` (an EllipticCurvePrivateKey) for `module` (or, with a
    captured cached envelope, session claims signed by that key)."""

    def __init__(self, certificate, key, platform_key, module, forgery=Forgery()):
        self.certificate, self.platform_key, self.module = certificate, platform_key, module
        self.forgery = forgery
        self.context = SSL.Context(SSL.TLS_METHOD)
        self.context.set_min_proto_version(SSL.TLS1_3_VERSION)
        self.context.set_options(SSL.OP_NO_TICKET)
        self.context.use_certificate_file(str(certificate))
        self.context.use_privatekey_file(str(key))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.client_answered = None  # the client's reply to the EVIDENCE: AUTH or DISCONNECT
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        plain, _ = self.listener.accept()
        plain.setblocking(False)
        connection = SSL.Connection(self.context, plain)
        connection.set_accept_state()
        stream = TlsStream(connection, plain, timeout=20)
        try:
            stream.handshake()
            wire = mqtt_wire.RawClient(0, sock=stream)
            request = self._request(wire)
            wire.send(self._auth(self._evidence(connection, request)))
            self.client_answered = wire.recv()
            if self.client_answered is not None and self.client_answered.kind == mqtt_wire.AUTH:
                wire.send(mqtt_wire.packet(mqtt_wire.CONNACK, 0, bytes([0, 0]) +
                                           mqtt_wire.properties([(AUTHENTICATION_METHOD, METHOD)])))
                wire.recv()  # the client's DISCONNECT, then its close
        except (OSError, SSL.Error, TimeoutError):
            pass  # the victim closed: what it answered, if anything, is in client_answered
        finally:
            plain.close()

    @staticmethod
    def _request(wire):
        """The REQUEST in CONNECT's Authentication Data (MQTT 5.0 section 3.1.2.11)."""
        first = wire.recv()  # decoded as if from a broker: only the raw body is used
        body = first.body
        position = 2 + int.from_bytes(body[:2], "big") + 1 + 1 + 2  # name, level, flags, keep alive
        props, _ = mqtt_wire.parse_properties(body, position)
        return next(value for key, value in props if key == AUTHENTICATION_DATA)

    def _evidence(self, connection, request):
        """Section 7.4 step 5, with the forgery applied."""
        binder = connection.export_keying_material(BROKER_LABEL, 32, request)
        nonce = request[4:4 + request[3]]
        module = self.forgery.module_sha256 or self.module
        tls_key = self.forgery.tls_key_sha256 or spki_sha256(self.certificate)
        session = claims({1: "sim", 2: module, 3: binder, 4: nonce, 5: tls_key})
        if self.forgery.cached_envelope is not None:
            signature = raw_signature(self.platform_key,
                                      session_signature_input(session, binder))
            message = bytearray(evidence_message(self.forgery.cached_envelope,
                                                 (session, signature)))
        else:
            report = sim_report(self.platform_key, self.module, report_data(session, binder))
            envelope = cbor2.dumps({"__cmwc_t": ENVELOPE_TYPE,
                                    "evidence": [MEDIA_TYPES["sim"], report, 4],
                                    "claims": [CLAIMS_MEDIA_TYPE, session]}, canonical=True)
            message = bytearray(evidence_message(envelope))
        if self.forgery.flip is not None:
            message[self.forgery.flip % len(message)] ^= 0xFF
        return bytes(message)

    @staticmethod
    def _auth(evidence):
        return mqtt_wire.packet(mqtt_wire.AUTH, 0, bytes([CONTINUE_AUTHENTICATION]) +
                                mqtt_wire.properties([(AUTHENTICATION_METHOD, METHOD),
                                                      (AUTHENTICATION_DATA, evidence)]))

    def close(self):
        self.listener.close()
        self.thread.join(timeout=20)

