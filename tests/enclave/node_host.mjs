// A second host for attestmq-engine.wasm, for tests only: node's own WASI and sockets in
// place of the wasm2c runner, to show that the module is the same bytes on another runtime.
//   node tests/enclave/node_host.mjs ENGINE.wasm -c CONFIG
// It offers the engine ABI of docs/architecture.md ("The engine ABI and attestmq-enclave")
// with a read-only view of / (node's WASI preopen), listens on the configuration's
// `listener PORT [ADDRESS]` lines in order, and prints "listening on ADDRESS:PORT" for each.
// What it leaves out: max_connections, connection rates, graceful-close deadlines.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { WASI } from 'node:wasi';

const [wasmPath, flag, configPath] = process.argv.slice(2);
if (!wasmPath || flag !== '-c' || !configPath) {
  console.error('usage: node node_host.mjs ENGINE.wasm -c CONFIG');
  process.exit(2);
}
const kChunk = 64 * 1024;
const listeners = [...readFileSync(configPath, 'utf8').matchAll(/^listener\s+(\d+)(?:\s+(\S+))?/gm)]
  .map((match) => ({ port: Number(match[1]), address: match[2] ?? '0.0.0.0' }));

const wasi = new WASI({ version: 'preview1', preopens: { '/': '/' }, env: {}, args: [] });
const sockets = new Map();
let engine;
const memory = () => new Uint8Array(engine.memory.buffer);
// No TEE beneath node: every request for evidence or a sealing key fails, with the reason.
const noTee = (out, capacity) => {
  const reason = Buffer.from('the node host has no TEE provider').subarray(0, capacity);
  if (out + reason.length > engine.memory.buffer.byteLength) return 1n << 32n;
  memory().set(reason, out);
  return (1n << 32n) | BigInt(reason.length);
};
// Nor a database: the module refuses `persistence true` without a TEE before it would store.
const kNosys = 52;
const imports = {
  wasi_snapshot_preview1: wasi.wasiImport,
  attestmq: {
    send(connection, pointer, length) {
      const socket = sockets.get(connection);
      if (!socket || pointer + length > engine.memory.buffer.byteLength) return 0n;
      socket.write(Buffer.from(memory().slice(pointer, pointer + length)));
      return BigInt(socket.writableLength);
    },
    close(connection) {
      sockets.get(connection)?.end();
      return 0;
    },
    log(level, pointer, length) {
      process.stderr.write(`${Buffer.from(memory().slice(pointer, pointer + length))}\n`);
      return 0;
    },
    evidence: (reportData, out, capacity) => noTee(out, capacity),
    sealing_key: noTee,
    counter: () => (1n << 64n) - 1n,
    store_put: () => kNosys,
    store_erase: () => kNosys,
    store_commit: () => kNosys,
    hold: () => kNosys,
  },
};
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), imports);
engine = instance.exports;
wasi.initialize(instance);
const input = engine.attestmq_input_buffer(kChunk);
const put = (bytes) => {
  memory().set(bytes, input);
  return bytes.length;
};

const configure = Buffer.from(`config=${configPath}\0cwd=${process.cwd()}\0`);
if (engine.attestmq_configure(put(configure)) !== 0) process.exit(1);

let nextConnection = 1;
const servers = listeners.map(({ port, address }, index) => {
  const server = net.createServer((socket) => {
    const connection = nextConnection++;
    sockets.set(connection, socket);
    socket.setNoDelay(true);
    engine.attestmq_open(connection, index, put(Buffer.from(`${socket.remoteAddress}:${socket.remotePort}`)));
    socket.on('data', (data) => {
      for (let offset = 0; offset < data.length; offset += kChunk) {
        engine.attestmq_input(connection, put(data.subarray(offset, offset + kChunk)));
      }
    });
    socket.on('drain', () => engine.attestmq_writable(connection));
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(connection);
      engine.attestmq_closed(connection);
    });
  });
  server.listen(port, address, () => console.log(`listening on ${address}:${port}`));
  return server;
});

let timer;
const tick = () => {
  const next = Number(engine.attestmq_tick());
  timer = setTimeout(tick, Math.min(Math.max(next, 1), 1000));
};
tick();

process.on('SIGTERM', () => {
  for (const server of servers) server.close();
  engine.attestmq_shutdown();
  clearTimeout(timer);
  const done = () => (sockets.size === 0 ? process.exit(0) : setTimeout(done, 10));
  setTimeout(() => process.exit(0), 2000).unref();
  done();
});
