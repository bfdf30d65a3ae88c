"""password_file end to end: files written by Debian's mosquitto_passwd work in the broker, files
written by `attestmq passwd` work in Debian's mosquitto, and clients (mosquitto_pub, paho) get
the CONNACK the rules prescribe: good password, wrong password, unknown user, anonymous,
username without password, and per_listener_settings with a different file per listener.
"""
import contextlib
import os
import pty
import queue
import socket
import stat
import subprocess

import paho.mqtt.client as mqtt
import pytest

from conftest import (ATTESTMQ_BROKERS, SHUTDOWN_TIMEOUT_S, STARTUP_TIMEOUT_S, broker_command,
                      free_port, wait_for)

V311, V5 = "mqttv311", "mqttv5"
# CONNACK codes: 3.1.1 section 3.2.2.3 return codes, MQTT 5.0 section 3.2.2.2 reason codes.
BAD_USERNAME_OR_PASSWORD = {V311: 4, V5: 0x86}
NOT_AUTHORIZED = {V311: 5, V5: 0x87}
TIMEOUT_S = 15.0


def config_text(kind, body):
    """Started as root, mosquitto switches to the `mosquitto` user, who cannot read pytest's
    private temporary directories: tell it to stay root (AttestMQ has no `user` option)."""
    return ("user root\n" if kind == "mosquitto" else "") + body


def attestmq_binary():
    return broker_command("attestmq", "unused")[0]


def attestmq_passwd(*args, stdin=""):
    return subprocess.run([attestmq_binary(), "passwd", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def mosquitto_passwd(*args):
    subprocess.run(["mosquitto_passwd", *map(str, args)], check=True, timeout=TIMEOUT_S)


def publish(port, version, username=None, password=None):
    """mosquitto_pub's exit code: 0 when the broker accepted the connection."""
    command = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", version,
               "-t", "pw/test", "-m", "hello"]
    if username is not None:
        command += ["-u", username]
    if password is not None:
        command += ["-P", password]
    return subprocess.run(command, capture_output=True, timeout=TIMEOUT_S).returncode


def connack_code(port, version, username=None, password=None):
    """The CONNACK return code (3.1.1) or reason code (5.0) paho receives."""
    protocol = mqtt.MQTTv5 if version == V5 else mqtt.MQTTv311
    client = mqtt.Client("pw-probe", protocol=protocol)
    codes = queue.Queue()
    if protocol == mqtt.MQTTv5:
        client.on_connect = lambda c, userdata, flags, reason, props: codes.put(reason.value)
    else:
        client.on_connect = lambda c, userdata, flags, rc: codes.put(rc)
    if username is not None:
        client.username_pw_set(username, password)
    client.connect("127.0.0.1", port, 30)
    client.loop_start()
    try:
        return codes.get(timeout=TIMEOUT_S)
    finally:
        client.loop_stop()
        client.disconnect()


@contextlib.contextmanager
def broker_from_text(kind, directory, text, ports):
    """A broker of `kind` running the configuration `text` until the block ends."""
    directory.mkdir(exist_ok=True)
    config = directory / f"{kind}.conf"
    config.write_text(text)
    log_path = directory / f"{kind}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(broker_command(kind, config), stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            for port in ports:
                wait_for(lambda: _accepts(process, port, log_path), STARTUP_TIMEOUT_S,
                         f"{kind} to listen on {port}")
            yield log_path
        finally:
            process.terminate()
            code = process.wait(SHUTDOWN_TIMEOUT_S)
    assert code == 0, f"{kind} exited with {code}:\n{log_path.read_text(errors='replace')}"


def _accepts(process, port, log_path):
    assert process.poll() is None, log_path.read_text(errors="replace")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def password_broker(start_broker, broker_kind):
    """start(path) -> a broker with allow_anonymous false and that password_file."""
    def start(password_file, allow_anonymous="false"):
        stay_root = {"user": "root"} if broker_kind == "mosquitto" else {}
        return start_broker(allow_anonymous=allow_anonymous, password_file=password_file,
                            **stay_root)
    return start


@pytest.mark.parametrize("hash_name", ["sha512-pbkdf2", "sha512"])
def test_mosquitto_passwd_file_is_accepted(password_broker, tmp_path, hash_name):
    users = tmp_path / "users.pw"
    mosquitto_passwd("-c", "-H", hash_name, "-b", users, "alice", "s3cret")
    mosquitto_passwd("-H", hash_name, "-b", users, "bob", "other")
    broker = password_broker(users)
    for version in (V311, V5):
        assert publish(broker.port, version, "alice", "s3cret") == 0
        assert publish(broker.port, version, "bob", "other") == 0
        assert connack_code(broker.port, version, "alice", "s3cret") == 0


@pytest.mark.parametrize("version", [V311, V5])
def test_refusals(password_broker, tmp_path, mosquitto_deviates, version):
    mosquitto_deviates("refuses bad credentials with Not authorized (5 / 0x87) instead of "
                       "Bad User Name or Password (4 / 0x86)")
    users = tmp_path / "users.pw"
    mosquitto_passwd("-c", "-b", users, "alice", "s3cret")
    broker = password_broker(users)
    assert connack_code(broker.port, version) == NOT_AUTHORIZED[version]
    assert connack_code(broker.port, version, "alice", "wrong") == BAD_USERNAME_OR_PASSWORD[version]
    assert connack_code(broker.port, version, "mallory", "s3cret") == BAD_USERNAME_OR_PASSWORD[version]
    assert connack_code(broker.port, version, "alice") == BAD_USERNAME_OR_PASSWORD[version]
    assert connack_code(broker.port, version, "alice", "s3cret") == 0
    for username, password in (("alice", "wrong"), ("mallory", "s3cret"), (None, None)):
        assert publish(broker.port, version, username, password) != 0
    if broker.kind in ATTESTMQ_BROKERS:
        log = broker.output()
        assert "client id 'pw-probe', username 'alice': unknown username or wrong password" in log
        assert "username 'mallory': unknown username or wrong password" in log
        assert "username none: anonymous clients are not allowed" in log


def test_allow_anonymous_beside_a_password_file(password_broker, tmp_path):
    users = tmp_path / "users.pw"
    mosquitto_passwd("-c", "-b", users, "alice", "s3cret")
    broker = password_broker(users, allow_anonymous="true")
    assert publish(broker.port, V5) == 0
    assert publish(broker.port, V5, "alice", "s3cret") == 0
    assert publish(broker.port, V5, "alice", "wrong") != 0


def test_per_listener_password_files(broker_kind, tmp_path):
    first, second = tmp_path / "first.pw", tmp_path / "second.pw"
    mosquitto_passwd("-c", "-b", first, "alice", "a-pass")
    mosquitto_passwd("-c", "-H", "sha512", "-b", second, "bob", "b-pass")
    port_a, port_b = free_port(), free_port()
    text = config_text(broker_kind, (
        "per_listener_settings true\n"
        f"listener {port_a} 127.0.0.1\nallow_anonymous false\npassword_file {first}\n"
        f"listener {port_b} 127.0.0.1\nallow_anonymous false\npassword_file {second}\n"))
    with broker_from_text(broker_kind, tmp_path / "two", text, [port_a, port_b]):
        for version in (V311, V5):
            assert publish(port_a, version, "alice", "a-pass") == 0
            assert publish(port_b, version, "bob", "b-pass") == 0
            assert publish(port_a, version, "bob", "b-pass") != 0
            assert publish(port_b, version, "alice", "a-pass") != 0


def test_attestmq_passwd_file_works_in_both_brokers(tmp_path):
    users = tmp_path / "users.pw"
    assert attestmq_passwd("-c", "-b", users, "alice", "pässword").returncode == 0
    assert attestmq_passwd("-H", "sha512", "-b", users, "bob", "b0b").returncode == 0
    assert attestmq_passwd("-I", "2000", users, "carol", stdin="from stdin\n").returncode == 0
    assert attestmq_passwd("-b", users, "dave", "gone").returncode == 0
    assert attestmq_passwd("-D", users, "dave").returncode == 0
    assert stat.S_IMODE(os.stat(users).st_mode) == 0o600
    lines = users.read_text().splitlines()
    assert [line.split(":")[0] for line in lines] == ["alice", "bob", "carol"]
    assert lines[0].split(":")[1].startswith("$7$101$")
    assert lines[1].split(":")[1].startswith("$6$")
    assert lines[2].split(":")[1].startswith("$7$2000$")
    for kind in ("mosquitto", "attestmq"):
        port = free_port()
        text = config_text(kind, f"listener {port} 127.0.0.1\nallow_anonymous false\n"
                                 f"password_file {users}\n")
        with broker_from_text(kind, tmp_path / kind, text, [port]):
            for version in (V311, V5):
                assert publish(port, version, "alice", "pässword") == 0, kind
                assert publish(port, version, "bob", "b0b") == 0, kind
                assert publish(port, version, "carol", "from stdin") == 0, kind
                assert publish(port, version, "dave", "gone") != 0, kind
                assert publish(port, version, "alice", "b0b") != 0, kind


def test_attestmq_passwd_updates_in_place_and_keeps_other_lines(tmp_path):
    users = tmp_path / "users.pw"
    mosquitto_passwd("-c", "-b", users, "alice", "old")
    with open(users, "a") as file:
        file.write("# a comment\nbob:plain text\n")
    before = users.read_text().splitlines()
    assert attestmq_passwd("-b", users, "alice", "new").returncode == 0
    after = users.read_text().splitlines()
    assert after[1:] == before[1:] and after[0] != before[0]
    # -U hashes bob's plain-text password and leaves alice's hash alone.
    assert attestmq_passwd("-U", users).returncode == 0
    upgraded = users.read_text().splitlines()
    assert upgraded[:2] == after[:2] and upgraded[2].startswith("bob:$7$101$")
    assert attestmq_passwd("-U", users).returncode == 0
    assert users.read_text().splitlines() == upgraded
    assert not [name for name in os.listdir(tmp_path) if ".tmp-" in name]
    port = free_port()
    text = config_text("mosquitto", f"listener {port} 127.0.0.1\nallow_anonymous false\n"
                                    f"password_file {users}\n")
    with broker_from_text("mosquitto", tmp_path / "m", text, [port]):
        assert publish(port, V5, "alice", "new") == 0
        assert publish(port, V5, "alice", "old") != 0
        assert publish(port, V5, "bob", "plain text") == 0


def test_attestmq_passwd_prompts_twice_without_echo(tmp_path):
    users = tmp_path / "users.pw"
    users.touch()
    controller, terminal = pty.openpty()
    process = subprocess.Popen([attestmq_binary(), "passwd", str(users), "erin"], stdin=terminal,
                               stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    transcript = b""
    for answer in (b"typed secret\n", b"typed secret\n"):
        while b"assword: " not in transcript.split(b"\n")[-1]:
            transcript += os.read(controller, 1024)
        os.write(controller, answer)
        transcript = transcript.replace(b"assword: ", b"assword:_", 1)
    assert process.wait(TIMEOUT_S) == 0
    with contextlib.suppress(OSError):
        transcript += os.read(controller, 1024)
    os.close(controller)
    assert b"typed secret" not in transcript, transcript
    assert users.read_text().startswith("erin:$7$101$")


def test_attestmq_passwd_errors(tmp_path):
    users = tmp_path / "users.pw"
    assert attestmq_passwd().returncode == 2
    assert attestmq_passwd("-H", "md5", "-b", users, "a", "b").returncode == 2
    assert attestmq_passwd("-I", "0", "-b", users, "a", "b").returncode == 2
    assert attestmq_passwd("-D", "-c", users, "a").returncode == 2
    missing = attestmq_passwd("-b", users, "alice", "pw")
    assert missing.returncode == 1 and "-c creates a new file" in missing.stderr
    assert attestmq_passwd("-c", "-b", users, "alice", "pw").returncode == 0
    for bad_name in ("a:b", ""):
        assert attestmq_passwd("-b", users, bad_name, "pw").returncode == 1
    assert attestmq_passwd("-b", users, "alice", "").returncode == 1
    not_found = attestmq_passwd("-D", users, "nobody")
    assert not_found.returncode == 1 and "'nobody' not found" in not_found.stderr
    assert attestmq_passwd(users, "carol", stdin="").returncode == 1
    assert [line.split(":")[0] for line in users.read_text().splitlines()] == ["alice"]
