// Runs a WASI (preview 1) command module under node's built-in WASI and exits with the
// module's exit code, so ctest sees a failing test binary as a failure.
//   node --no-warnings scripts/run-wasi.mjs MODULE.wasm [ARGS...]
// The module gets its arguments and the environment (GoogleTest reads GTEST_* variables)
// but no directories: tests in the Wasm build must not need files from the host.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const [modulePath, ...moduleArgs] = process.argv.slice(2);
if (!modulePath) {
  console.error('usage: node scripts/run-wasi.mjs MODULE.wasm [ARGS...]');
  process.exit(2);
}

const wasi = new WASI({
  version: 'preview1',
  args: [basename(modulePath), ...moduleArgs],
  env: process.env,
  returnOnExit: true,
});

try {
  const module = await WebAssembly.compile(await readFile(modulePath));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  process.exitCode = wasi.start(instance);
} catch (error) {
  // A trap (abort(), unreachable, out-of-bounds access) or a module that does not load.
  console.error(`${modulePath}: ${error.message}`);
  process.exitCode = 1;
}
