// Hub downloads into the on-disk Hugging Face cache, against a 127.0.0.1 server with the
// Hub's URL layout: the revision API, resolve URLs that redirect LFS files to a storage
// path (with X-Linked-Etag / X-Linked-Size), Range requests, and a cut connection.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, existsSync, statSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download, repoFolderName } from '../../src/lm/hub.ts';

const COMMIT = 'a'.repeat(40);
const weights = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const FILES: Record<string, { body: Uint8Array; lfs: boolean }> = {
  'config.json': { body: new TextEncoder().encode('{"model_type":"llama"}'), lfs: false },
  'tokenizer.json': { body: new TextEncoder().encode('{"model":{}}'), lfs: false },
  'model.safetensors': { body: weights, lfs: true },
  'README.md': { body: new TextEncoder().encode('# hi'), lfs: false },
};

let server: Server;
let endpoint = '';
const log: string[] = [];
/** When set, the next storage GET sends this many bytes and then drops the connection. */
let cutAfter = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    log.push(`${req.method} ${url.pathname}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    if (url.pathname === '/api/models/org/tiny/revision/main') {
      if (req.headers.authorization !== 'Bearer secret') return res.writeHead(401).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ sha: COMMIT, siblings: Object.keys(FILES).map((rfilename) => ({ rfilename })) }));
    }
    // Small files go through a relative redirect to the Hub's resolve cache, as huggingface.co does.
    const rc = /^\/api\/resolve-cache\/models\/org\/tiny\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
    if (rc && FILES[rc[2]]) {
      const f = FILES[rc[2]];
      res.writeHead(200, { etag: `"${sha256(f.body).slice(0, 40)}"`, 'content-length': String(f.body.length), 'x-repo-commit': COMMIT });
      return res.end(req.method === 'HEAD' ? undefined : Buffer.from(f.body));
    }
    const m = /^\/org\/tiny\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m && FILES[m[2]] && (m[1] === COMMIT || m[1] === 'main')) {
      const f = FILES[m[2]];
      if (f.lfs) {
        res.writeHead(302, { location: `http://${req.headers.host}/storage/${sha256(f.body)}`, 'x-linked-etag': `"${sha256(f.body)}"`, 'x-linked-size': String(f.body.length), 'x-repo-commit': COMMIT });
        return res.end();
      }
      if (m[2] === 'tokenizer.json') return res.writeHead(307, { location: `/api/resolve-cache/models/org/tiny/${COMMIT}/${m[2]}` }).end();
      res.writeHead(200, { etag: `"${sha256(f.body).slice(0, 40)}"`, 'content-length': String(f.body.length), 'x-repo-commit': COMMIT });
      return res.end(req.method === 'HEAD' ? undefined : Buffer.from(f.body));
    }
    const s = /^\/storage\/([0-9a-f]{64})$/.exec(url.pathname);
    const f = s && Object.values(FILES).find((x) => sha256(x.body) === s[1]);
    if (f) {
      const r = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      const start = r ? Number(r[1]) : 0;
      const part = f.body.subarray(start);
      res.writeHead(r ? 206 : 200, { 'content-length': String(part.length), ...(r ? { 'content-range': `bytes ${start}-${f.body.length - 1}/${f.body.length}` } : {}) });
      if (cutAfter) {
        const n = cutAfter;
        cutAfter = 0;
        res.write(Buffer.from(part.subarray(0, n)), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      return res.end(Buffer.from(part));
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe('hub download (disk cache)', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'webmlx-hub-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
  const repo = join(cacheDir, repoFolderName('org/tiny'));

  it('asks for a token on 401', async () => {
    await expect(download('org/tiny', { endpoint, cacheDir, token: 'wrong' })).rejects.toThrow(/401.*gated or private repository: pass `token` or set HF_TOKEN/);
  });

  it('a cut download resumes with a Range request; the layout is the Hub cache', async () => {
    cutAfter = 100_000;
    const events: { file: string; loaded: number; total: number }[] = [];
    await expect(download('org/tiny', { endpoint, cacheDir, token: 'secret', onProgress: (p) => events.push(p) })).rejects.toThrow();
    const partial = join(repo, 'blobs', `${sha256(weights)}.incomplete`);
    expect(existsSync(partial)).toBe(true);
    const have = statSync(partial).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(weights.length);
    log.length = 0;
    const dir = await download('org/tiny', { endpoint, cacheDir, token: 'secret', onProgress: (p) => events.push(p) });
    expect(dir).toBe(join(repo, 'snapshots', COMMIT));
    expect(log).toContain(`GET /storage/${sha256(weights)} bytes=${have}-`);
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(readlinkSync(join(dir as string, 'model.safetensors'))).toBe(`../../blobs/${sha256(weights)}`);
    expect(new Uint8Array(readFileSync(join(dir as string, 'model.safetensors')))).toEqual(weights);
    expect(readFileSync(join(dir as string, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect(readlinkSync(join(dir as string, 'tokenizer.json'))).toBe(`../../blobs/${sha256(FILES['tokenizer.json'].body).slice(0, 40)}`);
    expect(readFileSync(join(dir as string, 'tokenizer.json'), 'utf8')).toBe('{"model":{}}');
    expect(existsSync(join(dir as string, 'README.md'))).toBe(false);
    expect(existsSync(partial)).toBe(false);
    const last = events.filter((e) => e.file === 'model.safetensors').at(-1)!;
    expect([last.loaded, last.total]).toEqual([weights.length, weights.length]);
  });

  it('a second load makes no request; offline works from the cache', async () => {
    log.length = 0;
    const dir = await download('org/tiny', { endpoint, cacheDir });
    const off = await download('org/tiny', { endpoint: 'http://127.0.0.1:9', cacheDir, offline: true });
    expect(log).toEqual([]);
    expect(off).toBe(dir);
    await expect(download('org/other', { endpoint, cacheDir, offline: true })).rejects.toThrow(/not \(completely\) in the cache .* downloads are off/);
  });

  it('finds a snapshot that Python huggingface_hub left (symlinks into blobs)', async () => {
    const py = mkdtempSync(join(tmpdir(), 'webmlx-hubpy-'));
    const root = join(py, 'models--org--py');
    const commit = 'b'.repeat(40);
    mkdirSync(join(root, 'blobs'), { recursive: true });
    mkdirSync(join(root, 'refs'), { recursive: true });
    mkdirSync(join(root, 'snapshots', commit), { recursive: true });
    writeFileSync(join(root, 'refs', 'main'), commit);
    for (const f of ['config.json', 'tokenizer.json', 'model.safetensors']) writeFileSync(join(root, 'snapshots', commit, f), '{}');
    const prev = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = py;
    try {
      expect(await download('org/py', { endpoint: 'http://127.0.0.1:9' })).toBe(join(root, 'snapshots', commit));
    } finally {
      if (prev === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = prev;
      rmSync(py, { recursive: true, force: true });
    }
  });

  it('explicit file lists and a corrupt blob', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'webmlx-hub2-'));
    try {
      const d = await download('org/tiny', { endpoint, cacheDir: dir2, token: 'secret', files: ['config.json'] });
      expect(existsSync(join(d as string, 'config.json')) && !existsSync(join(d as string, 'model.safetensors'))).toBe(true);
      // A partial file holding wrong bytes fails the sha256 check and is removed.
      const blobs = join(dir2, repoFolderName('org/tiny'), 'blobs');
      writeFileSync(join(blobs, `${sha256(weights)}.incomplete`), new Uint8Array(1000).fill(1));
      await expect(download('org/tiny', { endpoint, cacheDir: dir2, token: 'secret', files: ['model.safetensors'] })).rejects.toThrow(/sha256 .* does not match/);
      expect(existsSync(join(blobs, `${sha256(weights)}.incomplete`))).toBe(false);
      await download('org/tiny', { endpoint, cacheDir: dir2, token: 'secret', files: ['model.safetensors'] });
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
