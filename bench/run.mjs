// npm run bench: bundles the benchmarks and runs them in Node (dawn.node) and Deno.
// Pass --big for the GPU-machine sizes; --only=node|deno to pick a runtime.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only=')) ?? '').slice(7);
// --peers: the peer comparison (bench/run-peers.mjs; needs `cd bench/peers && npm ci`)
if (args.includes('--peers')) process.exit(spawnSync(process.execPath, ['bench/run-peers.mjs', ...args.filter((a) => a !== '--peers')], { stdio: 'inherit' }).status ?? 1);
await build({ entryPoints: { ops: 'bench/ops.ts' }, outdir: 'dist/bench', bundle: true, format: 'esm', platform: 'neutral', external: ['webgpu'], logLevel: 'warning', outExtension: { '.js': '.mjs' } });
const env = { ...process.env };
// software Vulkan here; on the GPU machine enter.sh points Vulkan at the real driver
if (!env.VK_ICD_FILENAMES && existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
const pass = ['--run', ...args.filter((a) => !a.startsWith('--only=') && a !== '--peers')];
let failed = false;
if (!only || only === 'node') {
  console.log('== Node (dawn.node)');
  failed ||= spawnSync(process.execPath, ['dist/bench/ops.mjs', ...pass], { stdio: 'inherit', env }).status !== 0;
}
const deno = existsSync('node_modules/@deno/linux-x64-glibc/deno') ? 'node_modules/@deno/linux-x64-glibc/deno' : 'deno';
if (!only || only === 'deno') {
  console.log('== Deno (wgpu)');
  const denoEnv = { ...process.env };
  failed ||= spawnSync(deno, ['run', '-A', 'dist/bench/ops.mjs', ...pass], { stdio: 'inherit', env: denoEnv }).status !== 0;
}
process.exit(failed ? 1 : 0);
