#!/usr/bin/env python3
"""Reference computations for docs/attestation.md (AttestMQ attested sessions, v1), section 12.3.

Run `python3 attestation_vectors.py` (Debian 12: python3-openssl, python3-cryptography). Part 1
prints the fixed vectors of section 12.2; part 2 runs a real TLS 1.3 handshake between two
pyOpenSSL endpoints in memory and shows that the exporter computed by hand from the key log's
EXPORTER_SECRET equals `export_keying_material`. The second implementation of the protocol
(spec_client.py) takes its REQUEST, claims encoding and REPORTDATA from here, and
test_spec_client.py checks that section 12.2 quotes exactly what this script computes."""
import datetime, hashlib, hmac, struct
from OpenSSL import SSL, crypto
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

def hkdf_expand(prk, info, length, hash_name):                      # RFC 5869
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hash_name).digest()
        out, counter = out + block, counter + 1
    return out[:length]

def hkdf_expand_label(secret, label, context, length, hash_name):   # RFC 8446 section 7.1
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return hkdf_expand(secret, info, length, hash_name)

def tls_exporter(exporter_master_secret, label, context, length, hash_name):  # section 7.5
    size = hashlib.new(hash_name).digest_size
    derived = hkdf_expand_label(exporter_master_secret, label,
                                hashlib.new(hash_name, b"").digest(), size, hash_name)
    return hkdf_expand_label(derived, b"exporter", hashlib.new(hash_name, context).digest(),
                             length, hash_name)

SIM = 4
def request(flags, nonce, types):                                   # section 3.2
    return bytes([0x01, 0x01, flags, len(nonce)]) + nonce + bytes([len(types)]) + bytes(types)

def head(major, n):                                                 # RFC 8949 shortest heads
    if n < 24: return bytes([major << 5 | n])
    if n < 0x100: return bytes([major << 5 | 24, n])
    if n < 0x10000: return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 0x100000000: return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)

def claims(entries):                                                # section 5, canonical
    out = head(5, len(entries))
    for key in sorted(entries):
        value = entries[key]
        out += head(0, key)
        if isinstance(value, int): out += head(0, value)
        elif isinstance(value, str): out += head(3, len(value)) + value.encode()
        else: out += head(2, len(value)) + value
    return out

def report_data(claims_bytes, binder):                              # section 5.2
    return hashlib.sha512(b"AttestMQ REPORTDATA v1" + b"\x00" + bytes([len(binder)]) + binder
                          + hashlib.sha256(claims_bytes).digest()).digest()

def session_signature_input(session_claims, binder):                # section 6.2
    return b"AttestMQ session signature v1" + b"\x00" + report_data(session_claims, binder)

BROKER_LABEL = b"EXPERIMENTAL-attestmq-broker-binder-v1"
CLIENT_LABEL = b"EXPERIMENTAL-attestmq-client-binder-v1"

def show(name, value):
    text = value.hex()
    print(f"{name} ({len(value)} bytes):")
    for i in range(0, len(text), 64):
        print("  " + text[i:i + 64])

def fixed_vectors():
    """The values of section 12.2, by name, in the order the section lists them."""
    vectors = {}
    old = claims({1: "sim", 2: b"\x11" * 32, 3: b"\x22" * 32, 4: b"\x33" * 16})
    vectors["docs/evidence.md example REPORTDATA"] = report_data(old, b"\x22" * 32)
    req = vectors["REQUEST"] = request(0x01, bytes(range(16)), [SIM])
    ems = b"\x55" * 32
    binder = vectors["broker binder"] = tls_exporter(ems, BROKER_LABEL, req, 32, "sha256")
    session = vectors["session claims"] = claims(
        {1: "sim", 2: b"\x11" * 32, 3: binder, 4: bytes(range(16)), 5: b"\x66" * 32})
    vectors["REPORTDATA"] = report_data(session, binder)
    broker_request = request(0x00, b"\xaa" * 16, [SIM])
    vectors["client binder"] = tls_exporter(ems, CLIENT_LABEL, broker_request, 32, "sha256")
    vectors["transport A binder"] = hkdf_expand_label(b"\x77" * 32, b"attestmq binder v1", req,
                                                      32, "sha256")
    key = ec.derive_private_key(0x0102030405060708090a0b0c0d0e0f10, ec.SECP256R1())
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    platform = vectors["cached: platform claims"] = claims(
        {1: "sim", 2: b"\x11" * 32, 3: b"", 4: b"\x44" * 32, 8: spki, 9: 1765000000})
    vectors["cached: platform REPORTDATA"] = report_data(platform, b"")
    vectors["cached: SHA-256 of the session signature input"] = hashlib.sha256(
        session_signature_input(session, binder)).digest()
    return vectors

def live_exporter():
    print("== Part 2: a live TLS 1.3 session, exporter computed both ways ==")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    secrets = {}
    def keylog(_connection, line):
        label, _client_random, value = line.decode().split()
        secrets[label] = bytes.fromhex(value)
    def context(server):
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
        ctx.set_options(SSL.OP_NO_TICKET)
        if server:
            ctx.use_certificate(crypto.X509.from_cryptography(cert))
            ctx.use_privatekey(crypto.PKey.from_cryptography_key(key))
            ctx.set_keylog_callback(keylog)
        return ctx
    server = SSL.Connection(context(True), None); server.set_accept_state()
    client = SSL.Connection(context(False), None); client.set_connect_state()
    for _ in range(10):                              # memory BIOs: shuttle the flights
        for a, b in ((client, server), (server, client)):
            try: a.do_handshake()
            except SSL.WantReadError: pass
            try: b.bio_write(a.bio_read(65536))
            except SSL.WantReadError: pass
    assert client.get_protocol_version_name() == "TLSv1.3"
    suite_hash = "sha384" if client.get_cipher_name().endswith("SHA384") else "sha256"
    req = request(0x00, bytes(range(16)), [SIM])
    by_openssl = client.export_keying_material(BROKER_LABEL, 32, req)
    by_hand = tls_exporter(secrets["EXPORTER_SECRET"], BROKER_LABEL, req, 32, suite_hash)
    print("cipher suite:", client.get_cipher_name())
    show("exporter (pyOpenSSL, client side)", by_openssl)
    print("manual computation from EXPORTER_SECRET agrees:", by_hand == by_openssl)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    show("claims key 5 = SHA-256(SPKI of the server certificate)", hashlib.sha256(spki).digest())
    assert by_hand == by_openssl

if __name__ == "__main__":
    print("== Part 1: fixed vectors (section 12.2) ==")
    for vector_name, vector in fixed_vectors().items():
        show(vector_name, vector)
    live_exporter()
