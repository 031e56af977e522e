#!/usr/bin/env node
// Runs test/deno/webgpu_test.ts with the Deno binary from node_modules (npm `deno`),
// offline, on wgpu's Vulkan backend (lavapipe here). Extra args go to `deno test`.
// Env: WEBMLX_TEST_FILTER, WEBMLX_TEST_TRACE, WEBMLX_DENO_TIMEOUT_S, DENO_BIN, DENO_WEBGPU_BACKEND.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const local = join(root, 'node_modules', '@deno', `${process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}-glibc`, 'deno');
const deno = process.env.DENO_BIN || (existsSync(local) ? local : 'deno');
const timeoutS = Number(process.env.WEBMLX_DENO_TIMEOUT_S || 1200);

const env = {
  ...process.env,
  // Without this wgpu silently falls back to GL (llvmpipe through EGL) when Vulkan is
  // missing; pinning Vulkan makes a broken driver install fail instead.
  DENO_WEBGPU_BACKEND: process.env.DENO_WEBGPU_BACKEND || 'vulkan',
  DENO_NO_UPDATE_CHECK: '1',
  DENO_NO_PROMPT: '1',
};
const args = ['test', '-A', '--no-check', '--no-remote', '--no-npm', 'test/deno/webgpu_test.ts', ...process.argv.slice(2)];
const t0 = Date.now();
const child = spawn(deno, args, { cwd: root, env, stdio: 'inherit' });
const timer = setTimeout(() => {
  console.error(`deno: timed out after ${timeoutS}s; killing`);
  child.kill('SIGKILL');
}, timeoutS * 1000);
child.on('error', (e) => {
  console.error(`deno: cannot start ${deno}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  console.log(`deno: exit ${signal ?? code} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  process.exit(code === 0 ? 0 : 1);
});
