"""A throwaway PKI for the TLS integration tests, made with the `openssl` command line.

make_pki(directory) writes into `directory`:
  a CA; a server certificate for 127.0.0.1 and localhost; client certificates signed by
  the CA (good, expired, revoked, one without a CN) and a CRL revoking the revoked one; a
  second, unrelated CA with a server and a client certificate of its own ("wrong CA"); and
  a psk_file. Keys are EC P-256: quick to make, and what a modern deployment uses.

`openssl ca` (rather than `openssl x509 -req`) signs the client certificates because only
it can back-date a certificate (-startdate/-enddate) and keep the index a CRL is made from.
"""
import contextlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Client identity and key of the psk_file; the wrong key differs in one bit.
PSK_IDENTITY = "psk-client"
PSK_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WRONG_PSK_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f1"

CA_CONFIG = """\
[ca]
default_ca = test_ca

[test_ca]
database = {prefix}.index
new_certs_dir = {directory}/issued
serial = {prefix}.serial
crlnumber = {prefix}.crlnumber
certificate = {prefix}.crt
private_key = {prefix}.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = client

[anything]
commonName = optional
organizationName = optional

[client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth

[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
"""


@dataclass
class Pki:
    directory: Path
    ca: Path
    server_cert: Path
    server_key: Path
    crl: Path
    psk_file: Path
    wrong_ca: Path
    wrong_ca_server_cert: Path
    wrong_ca_server_key: Path

    def client(self, name):
        """(certificate, key) of a client: good, expired, revoked, no-cn or stranger (wrong CA)."""
        return self.directory / f"{name}.crt", self.directory / f"{name}.key"


def openssl(*arguments, cwd):
    subprocess.run(["openssl", *map(str, arguments)], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class _Authority:
    """One CA directory with the files `openssl ca` keeps."""

    def __init__(self, directory, name, subject):
        self.directory = directory
        self.name = name
        self.config = directory / f"{name}.cnf"
        (directory / "issued").mkdir(exist_ok=True)
        # Both authorities share the directory, each with its own database (index, serials).
        self.config.write_text(CA_CONFIG.format(directory=directory, prefix=directory / name))
        (directory / f"{name}.index").write_text("")
        (directory / f"{name}.serial").write_text("1000\n")
        (directory / f"{name}.crlnumber").write_text("1000\n")
        openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "30",
                "-subj", subject, "-addext", "basicConstraints=critical,CA:true",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)

    def issue(self, name, subject, extensions="client", dates=()):
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=self.directory)
        openssl("ca", "-batch", "-config", self.config, "-extensions", extensions,
                "-in", f"{name}.csr", "-out", f"{name}.crt", *dates, cwd=self.directory)

    def revoke(self, name, crl):
        openssl("ca", "-batch", "-config", self.config, "-revoke", f"{name}.crt", cwd=self.directory)
        openssl("ca", "-batch", "-config", self.config, "-gencrl", "-out", crl, cwd=self.directory)


def make_pki(directory):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca = _Authority(directory, "ca", "/O=AttestMQ tests/CN=Test CA")
    ca.issue("server", "/O=AttestMQ tests/CN=localhost", extensions="server")
    ca.issue("good", "/O=AttestMQ tests/CN=client-good")
    ca.issue("expired", "/O=AttestMQ tests/CN=client-expired",
             dates=("-startdate", "20200101000000Z", "-enddate", "20200201000000Z"))
    ca.issue("revoked", "/O=AttestMQ tests/CN=client-revoked")
    ca.issue("no-cn", "/O=AttestMQ tests")
    ca.revoke("revoked", "crl.pem")

    wrong = _Authority(directory, "wrong-ca", "/O=Somebody else/CN=Unrelated CA")
    wrong.issue("wrong-ca-server", "/O=Somebody else/CN=localhost", extensions="server")
    wrong.issue("stranger", "/O=Somebody else/CN=client-stranger")

    psk_file = directory / "psk.txt"
    psk_file.write_text(f"{PSK_IDENTITY}:{PSK_KEY}\n")
    return Pki(directory=directory, ca=directory / "ca.crt", server_cert=directory / "server.crt",
               server_key=directory / "server.key", crl=directory / "crl.pem", psk_file=psk_file,
               wrong_ca=directory / "wrong-ca.crt",
               wrong_ca_server_cert=directory / "wrong-ca-server.crt",
               wrong_ca_server_key=directory / "wrong-ca-server.key")


@contextlib.contextmanager
def readable_pki():
    """make_pki in a fresh directory that other users may read, removed afterwards.

    Debian's mosquitto, started as root, drops to the `mosquitto` user before it reads its
    certificates, and pytest's tmp_path (under /tmp/pytest-of-root, mode 0700) is closed to
    that user; the keys are throwaway test keys."""
    directory = Path(tempfile.mkdtemp(prefix="attestmq-pki-"))
    try:
        made = make_pki(directory)
        directory.chmod(0o755)
        for path in directory.iterdir():
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield made
    finally:
        shutil.rmtree(directory)
