// Peer benchmark driver: bundles bench/peers.ts into dist/bench-peers/ and runs it in
// Node (dawn.node), Deno and headless Chromium.
//   node bench/run-peers.mjs [--big] [--only=node|deno|chromium[,..]] [--build-only] [suite args]
// Suite args (--libs=, --kinds=, --reps=, --no-ort) pass through to bench/peers.ts.
// The peers are a separate npm package: `cd bench/peers && npm ci` first (ORT and the
// others are skipped with a note when missing). dist/bench-peers/ is self-contained apart
// from dawn.node (node_modules/webgpu), so it can travel to the GPU machine:
//   carry [".gpu", "dist/bench-peers", "dist/bench-peers-ort"],
//   run `bash .gpu/enter.sh node dist/bench-peers/peers.mjs --big --out=$OUT`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, extname, join, normalize, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'dist', 'bench-peers');
const peersNm = join(root, 'bench', 'peers', 'node_modules');
const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only=')) ?? '').slice(7).split(',').filter(Boolean);
const pass = args.filter((a) => !a.startsWith('--only=') && a !== '--build-only');
const want = (rt) => only.length === 0 || only.includes(rt);

if (!existsSync(peersNm)) console.warn('run-peers: bench/peers/node_modules is missing (cd bench/peers && npm ci); only webmlx will run');

// ---- bundle -------------------------------------------------------------------------------
// dist/bench-peers/peers.mjs        Node and Deno (the GPU machine needs only this folder...)
// dist/bench-peers-ort/*.wasm.gz    ...and this one for onnxruntime-web (6.6 MB; leave it behind to skip ORT)
// dist/bench-peers-page/            the Chromium page (page.js, index.html)
const outOrt = join(root, 'dist', 'bench-peers-ort');
const outPage = join(root, 'dist', 'bench-peers-page');
for (const d of [out, outOrt, outPage]) {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
}
const common = {
  entryPoints: [join(root, 'bench/peers.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  nodePaths: [peersNm],
  logLevel: 'warning',
  legalComments: 'none',
  minify: true,
  sourcemap: false,
};
await build({
  ...common,
  outfile: join(out, 'peers.mjs'),
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['import', 'default'],
  // Node/Deno built-ins some peers reach for (tfjs's Node platform uses require('util'))
  external: ['webgpu', 'node:*', 'util', 'node-fetch', 'worker_threads', 'crypto', 'fs', 'path', 'module', 'url', 'os'],
});
await build({
  ...common,
  outfile: join(outPage, 'page.js'),
  platform: 'browser',
  external: ['webgpu', 'node:*'],
});
writeFileSync(join(outPage, 'index.html'), '<!doctype html><meta charset="utf-8"><title>webmlx peers</title><link rel="icon" href="data:,"><script type="module" src="./page.js"></script>\n');
// ORT's WebGPU build needs exactly one wasm (the asyncify variant, 27 MB); gzipped 6.6 MB
const wasm = join(peersNm, 'onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm');
if (existsSync(wasm)) writeFileSync(join(outOrt, 'ort-wasm-simd-threaded.asyncify.wasm.gz'), gzipSync(readFileSync(wasm), { level: 9 }));
const size = (d) => readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0) / 2 ** 20;
console.log(`run-peers: bundled dist/bench-peers (${size(out).toFixed(1)} MiB), dist/bench-peers-ort (${size(outOrt).toFixed(1)} MiB), dist/bench-peers-page (${size(outPage).toFixed(1)} MiB)`);
if (args.includes('--build-only')) process.exit(0);

// ---- run ----------------------------------------------------------------------------------
const env = { ...process.env };
if (!env.VK_ICD_FILENAMES && existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
let failed = false;
if (want('node')) {
  console.log('== Node (dawn.node)');
  failed ||= spawnSync(process.execPath, [join(out, 'peers.mjs'), ...pass], { stdio: 'inherit', env, cwd: root }).status !== 0;
}
if (want('deno')) {
  const local = join(root, 'node_modules/@deno/linux-x64-glibc/deno');
  const deno = existsSync(local) ? local : 'deno';
  console.log('== Deno (wgpu)');
  // Deno uses its own WebGPU (wgpu, lavapipe here); no Vulkan override from us
  failed ||= spawnSync(deno, ['run', '-A', join(out, 'peers.mjs'), ...pass], { stdio: 'inherit', env: process.env, cwd: root }).status !== 0;
}
if (want('chromium')) {
  console.log('== Chromium (headless, SwiftShader)');
  failed ||= !(await runChromium(pass));
}
process.exit(failed ? 1 : 0);

async function runChromium(suiteArgs) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    console.log('run-peers: playwright-core missing; Chromium skipped');
    return true;
  }
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(exe)) {
    console.log(`run-peers: ${exe} missing; Chromium skipped`);
    return true;
  }
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.gz': 'application/octet-stream', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      if (!/^\/(bench-peers-page|bench-peers-ort)\//.test(path)) throw new Error('outside');
      const body = readFileSync(join(root, 'dist', path));
      // cross-origin isolation: ORT's wasm memory is shared (SharedArrayBuffer)
      res.writeHead(200, {
        'content-type': types[extname(path) || '.html'] ?? 'application/octet-stream',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  const ARGS = [
    '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  ];
  const browser = await chromium.launch({ executablePath: exe, args: ARGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(m.text()));
    page.on('pageerror', (e) => console.error(`[page error] ${e.stack || e}`));
    let report;
    const reported = new Promise((ok) => { report = ok; });
    await page.exposeFunction('__report', (r) => report(r));
    const q = suiteArgs.map((a) => `arg=${encodeURIComponent(a)}`).join('&');
    await page.goto(`http://127.0.0.1:${port}/bench-peers-page/index.html${q ? `?${q}` : ''}`);
    const limit = Number(process.env.PEERS_CHROMIUM_TIMEOUT_S || 1800) * 1000;
    const r = await Promise.race([reported, new Promise((ok) => setTimeout(() => ok({ ok: false, error: 'timed out' }), limit).unref())]);
    if (!r.ok) console.error(`chromium: ${r.error}`);
    return r.ok;
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
}
