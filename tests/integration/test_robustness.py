"""1,000 concurrent MQTT 3.1.1 clients, one of which sends garbage mid-stream.

Every client subscribes to its own topic and to a broadcast topic, publishes QoS 1 messages
to its successor's topic, and must receive exactly what was sent to it. The garbage sender
must be disconnected while everyone else carries on, and the broker must stay up.
"""
import asyncio

import mqtt_wire as wire

CLIENTS = 1000
MESSAGES_PER_CLIENT = 5
BROADCASTS = 3
CONNECTS_IN_FLIGHT = 100  # stay below the listen backlog: no SYN retries, no 1 s stalls
DEADLINE_S = 50.0


async def read_packet(reader):
    """(first byte, body) of the next packet, or None on EOF."""
    try:
        first = (await reader.readexactly(1))[0]
        length, shift = 0, 0
        while True:
            byte = (await reader.readexactly(1))[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return first, await reader.readexactly(length)
    except (asyncio.IncompleteReadError, ConnectionResetError):
        return None


class LoadClient:
    def __init__(self, index, port):
        self.index = index
        self.port = port
        self.received = []
        self.acked = set()

    async def connect_and_subscribe(self, gate):
        async with gate:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(wire.connect(f"load-{self.index}", version=wire.MQTT_311))
            first, body = await read_packet(self.reader)
            assert first >> 4 == wire.CONNACK and body[1] == 0, f"client {self.index}: {body}"
            self.writer.write(wire.subscribe(1, [(f"load/{self.index}", 1), ("load/all", 1)],
                                             wire.MQTT_311))
            first, body = await read_packet(self.reader)
            assert first >> 4 == wire.SUBACK and body[2:] == b"\x01\x01", f"client {self.index}"

    def publish_all(self):
        successor = (self.index + 1) % CLIENTS
        for n in range(MESSAGES_PER_CLIENT):
            payload = f"{self.index}:{n}".encode()
            self.writer.write(wire.publish(f"load/{successor}", payload, 1, n + 1,
                                           version=wire.MQTT_311))
        if self.index == 0:
            for n in range(BROADCASTS):
                self.writer.write(wire.publish("load/all", f"all:{n}".encode(), 1,
                                               MESSAGES_PER_CLIENT + n + 1,
                                               version=wire.MQTT_311))

    async def run(self):
        """Acknowledge and count deliveries until everything expected has happened."""
        own = MESSAGES_PER_CLIENT + (BROADCASTS if self.index == 0 else 0)
        while len(self.received) < MESSAGES_PER_CLIENT + BROADCASTS or len(self.acked) < own:
            packet = await read_packet(self.reader)
            assert packet is not None, f"client {self.index} disconnected by the broker"
            pkt = wire.decode(packet[0], packet[1], wire.MQTT_311)
            if pkt.kind == wire.PUBLISH:
                self.received.append(pkt.payload)
                self.writer.write(wire.ack(wire.PUBACK, pkt.packet_id))
            elif pkt.kind == wire.PUBACK:
                self.acked.add(pkt.packet_id)
        await self.writer.drain()


async def garbage_sender(port, started):
    """Connects properly, then sends a packet of reserved type 0 (complete, so no broker
    needs to wait for more bytes to reject it) followed by junk."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(wire.connect("garbage", version=wire.MQTT_311))
    assert (await read_packet(reader))[0] >> 4 == wire.CONNACK
    await started.wait()
    writer.write(b"\x00\x00" + b"\xde\xad\xbe\xef" * 1024)
    # MQTT 3.1.1 section 2.2.1 and 4.8: a reserved packet type closes the connection.
    while await read_packet(reader) is not None:
        pass
    writer.close()


async def load(port):
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)
    clients = [LoadClient(i, port) for i in range(CLIENTS)]
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    await asyncio.wait_for(
        asyncio.gather(*(client.connect_and_subscribe(gate) for client in clients)), DEADLINE_S)

    started = asyncio.Event()
    garbage = asyncio.create_task(garbage_sender(port, started))
    runs = [asyncio.create_task(client.run()) for client in clients]
    for n, client in enumerate(clients):
        client.publish_all()
        if n == CLIENTS // 2:
            started.set()
            await asyncio.sleep(0)
    remaining = deadline - asyncio.get_running_loop().time()
    done, pending = await asyncio.wait([garbage, *runs], timeout=remaining)
    for task in pending:
        task.cancel()
    assert garbage not in pending, "the garbage sender is still connected"
    stuck = [c for c, task in zip(clients, runs) if task in pending]
    assert not stuck, (f"{len(stuck)} clients incomplete, e.g. client {stuck[0].index}: "
                       f"{len(stuck[0].received)} received, {len(stuck[0].acked)} acked")
    for task in done:
        task.result()  # re-raises a client's assertion

    for client in clients:
        predecessor = (client.index - 1) % CLIENTS
        # MQTT 3.1.1 has no No Local: client 0 gets its own broadcasts too.
        expected = [f"{predecessor}:{n}".encode() for n in range(MESSAGES_PER_CLIENT)]
        expected += [f"all:{n}".encode() for n in range(BROADCASTS)]
        assert sorted(client.received) == sorted(expected), f"client {client.index}"
        client.writer.write(wire.disconnect(wire.MQTT_311))
        client.writer.close()


def test_thousand_clients_and_one_garbage_sender(many_files, start_broker):
    assert many_files > CLIENTS + 100, f"open-file limit {many_files} is too low"
    broker = start_broker(max_connections=-1)
    asyncio.run(load(broker.port))

    survivor = wire.RawClient(broker.port, wire.MQTT_311)
    assert survivor.connect("after-the-storm").reason == 0
    survivor.close()
    broker.assert_running()
