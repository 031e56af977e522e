#!/usr/bin/env node
// `npm test`: typecheck, vitest (cpu, node-webgpu), Deno, Chromium, lm, in that order.
// Usage: node scripts/test-all.mjs [--only=typecheck,cpu,node,deno,chromium,lm] [--filter=SUBSTR] [--bail]
// --filter sets WEBMLX_TEST_FILTER (substring of suite/name) for every runner.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const bin = (p) => resolve(root, 'node_modules', p);
const STAGES = {
  typecheck: [bin('typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'],
  cpu: [bin('vitest/vitest.mjs'), 'run', '--project', 'cpu'],
  node: [bin('vitest/vitest.mjs'), 'run', '--project', 'node-webgpu'],
  deno: ['scripts/deno-test.mjs'],
  chromium: ['scripts/chromium-test.mjs'],
  // webmlx/lm delivery: Hub cache, HTTP server, chat page (test/node/lm*.test.ts).
  lm: [bin('vitest/vitest.mjs'), 'run', '--project', 'lm'],
};

const opt = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const unknown = process.argv.slice(2).filter((a) => !/^--(only|filter)=|^--bail$/.test(a));
const only = opt('only')?.split(',').filter(Boolean) ?? Object.keys(STAGES);
const bad = only.filter((s) => !(s in STAGES));
if (unknown.length || bad.length) {
  console.error(`unknown ${unknown.length ? `argument(s) ${unknown.join(' ')}` : `stage(s) ${bad.join(',')}`}; stages: ${Object.keys(STAGES).join(',')}`);
  process.exit(2);
}
if (opt('filter') !== undefined) process.env.WEBMLX_TEST_FILTER = opt('filter');
const bail = process.argv.includes('--bail');
const stageTimeoutS = Number(process.env.WEBMLX_STAGE_TIMEOUT_S || 1500);

let child;
process.on('SIGINT', () => {
  if (child) process.kill(-child.pid, 'SIGKILL');
  process.exit(130);
});

// Each stage in its own process group, so a hung native runtime can be killed whole.
function run(name, args) {
  return new Promise((done) => {
    child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', detached: true });
    const timer = setTimeout(() => {
      console.error(`\n[test-all] ${name}: timed out after ${stageTimeoutS}s; killing`);
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, stageTimeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done(code === 0 ? 0 : (code ?? signal));
    });
  });
}

const results = [];
const filter = process.env.WEBMLX_TEST_FILTER;
for (const name of Object.keys(STAGES).filter((s) => only.includes(s))) {
  console.log(`\n[test-all] ==== ${name}${filter && name !== 'typecheck' ? ` (WEBMLX_TEST_FILTER=${filter})` : ''} ====`);
  const t0 = Date.now();
  const status = await run(name, STAGES[name]);
  results.push({ name, status, s: (Date.now() - t0) / 1000 });
  console.log(`[test-all] ${name}: ${status === 0 ? 'ok' : `FAILED (${status})`} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (status !== 0 && bail) break;
}

console.log('\n[test-all] summary');
for (const r of results) console.log(`  ${r.status === 0 ? 'ok    ' : 'FAILED'} ${r.name.padEnd(10)} ${r.s.toFixed(1)}s`);
const failed = results.filter((r) => r.status !== 0).map((r) => r.name);
if (failed.length) console.log(`[test-all] failed stage(s): ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
