// The chat demo in headless Chromium (SwiftShader WebGPU, the flags of scripts/chromium-test.mjs):
// `npm start`'s server builds and serves it; the page loads the embedded model in its Web
// Worker, streams a reply, and still works offline after a reload (service worker).
// Saves test-results/chat.png.
/// <reference types="node" />
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const ARGS = process.env.WEBMLX_CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader',
  '--enable-dawn-features=disable_workgroup_init',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

let server: ChildProcess | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close().catch(() => {});
  if (server?.pid) process.kill(server.pid);
});

/** Starts demo/serve.mjs on a free port and returns the chat page's URL. */
function startDemo(): Promise<string> {
  return new Promise((ok, fail) => {
    server = spawn(process.execPath, ['demo/serve.mjs'], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout!.on('data', (d) => {
      out += d;
      const m = /chat demo: (http:\/\/\S+\/chat\/)/.exec(out);
      if (m) ok(m[1]);
    });
    server.on('exit', (c) => fail(new Error(`demo/serve.mjs exited with ${c}: ${out}`)));
  });
}

describe('chat demo page', () => {
  it('loads the embedded model, streams a reply, works offline after a reload', async () => {
    const url = await startDemo();
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
    const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${url}?autoload&max_tokens=64`);
    await page.waitForFunction(() => (globalThis as { chatState?: { ready: boolean } }).chatState?.ready || /error/.test(document.getElementById('status')!.textContent!), null, { timeout: 180_000 });
    expect(await page.textContent('#status')).toBe('ready');
    expect(await page.textContent('.msg.system')).toMatch(/tiny-shakespeare loaded on (gpu|cpu)/);

    await page.fill('#input', 'Good morrow, fair lady.');
    await page.press('#input', 'Enter');
    // Several chunks arrive while the reply is still streaming (the stop button is live).
    await page.waitForFunction(() => (document.querySelector('.msg.assistant')?.textContent ?? '').length >= 3, null, { timeout: 120_000 });
    await page.waitForFunction(() => (globalThis as { chatState?: { replies: number } }).chatState!.replies === 1, null, { timeout: 180_000 });
    const reply = await page.textContent('.msg.assistant');
    expect(reply!.length).toBeGreaterThan(0);
    expect(reply).not.toMatch(/\[error/);
    expect(await page.textContent('#stats')).toMatch(/tok\/s/);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/chat.png', fullPage: true });

    // Offline: the service worker serves the page, worker and embedded model from its cache.
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== undefined, null, { timeout: 30_000 });
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => (globalThis as { chatState?: { ready: boolean } }).chatState?.ready || /error/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 180_000 });
    expect(await page.textContent('#status')).toBe('ready');
    expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e))).toEqual([]);
  }, 420_000);
});
