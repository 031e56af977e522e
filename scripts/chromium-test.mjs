#!/usr/bin/env node
// Runs every gpu case in headless Chromium (SwiftShader WebGPU): bundles
// test/browser/entry.ts, serves it on 127.0.0.1 and drives /usr/bin/chromium via playwright-core.
// Env: WEBMLX_TEST_FILTER (substring of suite/name), WEBMLX_TEST_TRACE, WEBMLX_CHROMIUM_TIMEOUT_S,
// WEBMLX_CASE_TIMEOUT_MS, CHROMIUM (browser path), WEBMLX_CHROMIUM_ARGS (replaces the flags).
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const outDir = join(root, 'dist', 'test-browser');
const filter = process.env.WEBMLX_TEST_FILTER ?? '';
const trace = !!process.env.WEBMLX_TEST_TRACE;
const overallMs = Number(process.env.WEBMLX_CHROMIUM_TIMEOUT_S || 1200) * 1000;
const caseMs = Number(process.env.WEBMLX_CASE_TIMEOUT_MS || 60_000);
// Exactly the flags verified in docs/environment.md (SwiftShader behind WebGPU).
// disable_workgroup_init: SwiftShader's compile time grows with zero-initialised workgroup
// memory (7 s for 16 KB); webmlx's kernels initialise the workgroup memory they read
const ARGS = process.env.WEBMLX_CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader',
  '--enable-dawn-features=disable_workgroup_init',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + 's';

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [join(root, 'test/browser/entry.ts')],
  bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
  outfile: join(outDir, 'entry.js'), sourcemap: true, logLevel: 'warning',
});
await writeFile(join(outDir, 'index.html'),
  '<!doctype html><meta charset="utf-8"><title>webmlx tests</title><link rel="icon" href="data:,"><script type="module" src="./entry.js"></script>\n');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.json': 'application/json' };
const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  try {
    const body = await readFile(join(outDir, path === '/' ? 'index.html' : path));
    res.writeHead(200, { 'content-type': types[extname(path) || '.html'] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const port = server.address().port;

let browser;
let failedCases = [];
let passed = 0;
let fatal = '';
let done = false;
let current = { id: '', since: Date.now() };
const pageErrors = [];

async function finish(code, why) {
  if (why) console.error(`chromium: ${why}`);
  await browser?.close().catch(() => {});
  server.close();
  process.exit(code);
}

const overall = setTimeout(() => finish(1, `overall timeout of ${overallMs / 1000}s hit while running '${current.id}'`), overallMs);
overall.unref();

try {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  const page = await browser.newPage();
  page.on('pageerror', (e) => {
    pageErrors.push(String(e.stack || e));
    console.error(`[page error] ${e.stack || e}`);
  });
  page.on('console', (m) => {
    if (trace || m.type() === 'error' || m.type() === 'warning') console.log(`[console.${m.type()}] ${m.text()}`);
  });
  page.on('crash', () => finish(1, `page crashed while running '${current.id}'`));
  await page.exposeFunction('__report', (r) => {
    if (r.type === 'adapter') console.log(`[chromium] adapter: ${r.name}; ${r.total} cases`);
    else if (r.type === 'start') {
      current = { id: r.id, since: Date.now() };
      if (trace) console.log(`[case] chromium/gpu ${r.id}`);
    } else if (r.type === 'end') {
      if (r.ok) passed++;
      else {
        failedCases.push(r);
        console.log(`FAIL ${r.id} (${r.ms.toFixed(0)} ms)\n  ${r.error.replace(/\n/g, '\n  ')}`);
      }
    } else if (r.type === 'fatal') fatal = r.error;
    else if (r.type === 'done') done = true;
  });
  const query = new URLSearchParams({ filter, caseTimeoutMs: String(caseMs) });
  await page.goto(`http://127.0.0.1:${port}/index.html?${query}`);
  // The page's own timers can't fire if its thread is stuck, so watch from here too.
  while (!done && !fatal) {
    await new Promise((r) => setTimeout(r, 250));
    if (current.id && Date.now() - current.since > caseMs + 30_000)
      await finish(1, `case '${current.id}' gave no result for ${(Date.now() - current.since) / 1000}s (page hung)`);
  }
} catch (e) {
  await finish(1, `runner error: ${e.stack || e}`);
}

if (fatal) await finish(1, `FAILED before running cases: ${fatal}`);
const failed = failedCases.length + (pageErrors.length ? 1 : 0);
console.log(`chromium: ${passed} passed, ${failedCases.length} failed${pageErrors.length ? `, ${pageErrors.length} page errors` : ''} (${secs()})`);
if (passed + failedCases.length === 0 && !filter) await finish(1, 'no gpu cases ran');
for (const f of failedCases) console.log(`  failed: ${f.id}`);
await finish(failed ? 1 : 0);
