#!/usr/bin/python3
"""Many idle MQTT 3.1.1 clients in one process, for tests and bench/idle_connections.py.

    idle_clients.py PORT COUNT PREFIX

connects COUNT clients to 127.0.0.1:PORT (client ids PREFIX-0, PREFIX-1, ...; keep alive 0,
so they may stay silent forever), in batches so the broker's listen backlog never
overflows, checks that each got CONNACK 0, prints "connected COUNT" and then holds the
connections until its standard input closes. Any failure is printed and exits with 1.
The process raises its own open-file soft limit to the hard limit first.
"""
import mmap
import resource
import socket
import subprocess
import sys

BATCH = 256
CONNACK_ACCEPTED = b"\x20\x02\x00\x00"
TIMEOUT_S = 30.0


def connect_packet(client_id):
    """MQTT 3.1.1 CONNECT (section 3.1): clean session, keep alive 0."""
    identifier = client_id.encode()
    body = (b"\x00\x04MQTT\x04\x02\x00\x00" + len(identifier).to_bytes(2, "big") + identifier)
    return bytes([0x10, len(body)]) + body


def receive_exactly(connection, size):
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    return data


def open_clients(port, count, prefix):
    """COUNT connected clients (sockets), or an exception naming the first that failed."""
    clients = []
    while len(clients) < count:
        batch = []
        for index in range(len(clients), min(count, len(clients) + BATCH)):
            connection = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
            connection.sendall(connect_packet(f"{prefix}-{index}"))
            batch.append(connection)
        for connection in batch:
            connack = receive_exactly(connection, 4)
            if connack != CONNACK_ACCEPTED:
                raise ConnectionError(f"client {len(clients)}: CONNACK {connack.hex()}")
            clients.append(connection)
    return clients


# AddressSanitizer pads every allocation and keeps freed memory in quarantine: a sanitized
# broker's memory grows several times what the release build's does for the same work.
SANITIZED_GROWTH_FACTOR = 8


def memory_bound_factor(pid):
    """How much looser a memory bound must be for process `pid`: 8 under AddressSanitizer,
    whose runtime gcc links as libasan.so and clang links into the executable itself."""
    with open(f"/proc/{pid}/maps") as maps:
        if "libasan" in maps.read():
            return SANITIZED_GROWTH_FACTOR
    with open(f"/proc/{pid}/exe", "rb") as executable, \
            mmap.mmap(executable.fileno(), 0, access=mmap.ACCESS_READ) as image:
        return SANITIZED_GROWTH_FACTOR if image.find(b"AddressSanitizer") != -1 else 1


def resident_bytes(pid):
    """VmRSS of process `pid` from /proc, in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class IdleClients:
    """COUNT idle clients held by a child process (its own descriptor budget) until stop()."""

    def __init__(self, port, count, prefix):
        self.count = count
        self.process = subprocess.Popen([sys.executable, __file__, str(port), str(count), prefix],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def wait_connected(self):
        line = self.process.stdout.readline().strip()
        assert line == f"connected {self.count}", f"idle clients: {line or 'no answer'}"

    def stop(self):
        self.process.stdin.close()
        self.process.wait(TIMEOUT_S)


def main():
    port, count, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        clients = open_clients(port, count, prefix)
    except OSError as failure:
        print(f"failed: {failure}", flush=True)
        return 1
    print(f"connected {len(clients)}", flush=True)
    sys.stdin.read()
    for connection in clients:
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
