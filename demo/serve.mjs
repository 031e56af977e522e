// npm start: builds the demos and serves them on 127.0.0.1 (override with HOST/PORT).
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFile, copyFile, mkdir, readdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const out = 'dist/demo';
await mkdir(`${out}/basic`, { recursive: true });
await mkdir(`${out}/train`, { recursive: true });
await mkdir(`${out}/chat/model`, { recursive: true });
await build({
  entryPoints: { 'basic/main': 'demo/basic/main.ts', 'train/main': 'demo/train/main.ts', 'chat/main': 'demo/chat/main.ts', 'chat/worker': 'src/lm/worker.ts' },
  outdir: out, bundle: true, format: 'esm', platform: 'browser', target: 'chrome120', external: ['webgpu'], logLevel: 'warning',
});
await copyFile('demo/basic/index.html', `${out}/basic/index.html`);
await copyFile('demo/train/index.html', `${out}/train/index.html`);
await copyFile('demo/train/data/tinyshakespeare.txt', `${out}/train/tinyshakespeare.txt`);
await copyFile('demo/chat/index.html', `${out}/chat/index.html`);
await copyFile('demo/chat/sw.js', `${out}/chat/sw.js`);
for (const f of await readdir('demo/chat/model')) await copyFile(`demo/chat/model/${f}`, `${out}/chat/model/${f}`);

const types = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
  if (path === '/' || path === '') path = '/basic/index.html';
  if (path.endsWith('/')) path += 'index.html';
  try {
    const body = await readFile(join(out, path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
server.listen(port, host, () => {
  const addr = server.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`webmlx demo: http://${host}:${p}/  (training demo: http://${host}:${p}/train/, chat demo: http://${host}:${p}/chat/)`);
});
