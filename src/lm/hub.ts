// Downloads model repositories from the Hugging Face Hub (or any server with its URL
// layout). In Deno and Node files go to the Hub's own cache layout, so snapshots that
// Python's huggingface_hub fetched are found and vice versa:
//   {cache}/models--{org}--{name}/blobs/{etag}, snapshots/{commit}/{file} -> ../../blobs/{etag},
//   refs/{revision} holding the commit. In pages and workers they go to Cache Storage.
// Loads are cache-first: a complete cached snapshot is returned without any request.
import { hasBrowserCache, readCachedFile, readCachedSnapshot, writeCachedFile, writeManifest } from './fs-cache.ts';

import type { FileMap } from './load.ts';

export type { FileMap };

/** One progress event: bytes of `file` written so far out of `total` (0 when unknown). */
export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number;
}

/** Options of `download`. */
export interface DownloadOptions {
  /** Branch, tag or commit (default 'main'). */
  revision?: string;
  /** File names or globs (`*.json`); default: configs, tokenizer files and safetensors weights. */
  files?: string[];
  /** Hub base URL (default HF_ENDPOINT or https://huggingface.co). */
  endpoint?: string;
  /** Access token (default HF_TOKEN, or the token file under HF_HOME). */
  token?: string;
  /** Hub cache folder on disk (default HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub). */
  cacheDir?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Use only the cache (default HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Ask the Hub for the revision's commit even when the cache holds a complete snapshot. */
  forceCheck?: boolean;
  /** Files downloaded at once (default 4). */
  concurrency?: number;
}

/**
 * The files `download` takes when `files` is not given.
 * @example
 * await download('org/m', { files: [...DEFAULT_FILES, '*.md'] });
 */
export const DEFAULT_FILES = ['*.json', '*.safetensors', '*.jinja', 'tokenizer.model', '*.tiktoken'];

interface Proc {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
}
const g = globalThis as { Deno?: { env?: { get(k: string): string | undefined } }; process?: Proc };

function env(name: string): string | undefined {
  try {
    return g.Deno?.env?.get(name) ?? g.process?.env?.[name];
  } catch {
    return undefined; // Deno without --allow-env
  }
}

/** Deno and Node keep files on disk; pages and workers in Cache Storage. */
function onDisk(): boolean {
  return !!(g.Deno || g.process?.versions?.node);
}

/**
 * The Hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
 * @example
 * hubCacheDir({ HF_HOME: '/data/hf' }) // '/data/hf/hub'
 */
export function hubCacheDir(vars: Record<string, string | undefined> = { HF_HUB_CACHE: env('HF_HUB_CACHE'), HF_HOME: env('HF_HOME'), XDG_CACHE_HOME: env('XDG_CACHE_HOME'), HOME: env('HOME') ?? env('USERPROFILE') }): string {
  if (vars.HF_HUB_CACHE) return vars.HF_HUB_CACHE;
  if (vars.HF_HOME) return `${vars.HF_HOME}/hub`;
  return `${vars.XDG_CACHE_HOME ?? `${vars.HOME ?? '.'}/.cache`}/huggingface/hub`;
}

/**
 * The folder of a model repository inside the Hub cache.
 * @example
 * repoFolderName('mlx-community/SmolLM2-135M-Instruct') // 'models--mlx-community--SmolLM2-135M-Instruct'
 */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

/**
 * A file's download URL in the Hub's layout: `{endpoint}/{repo}/resolve/{revision}/{file}`.
 * @example
 * resolveUrl('https://huggingface.co', 'org/m', 'main', 'config.json')
 */
export function resolveUrl(endpoint: string, repoId: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repoId}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/**
 * Whether `name` matches a glob (`*` within a path segment, `**` across, `?` one character).
 * @example
 * matchGlob('*.safetensors', 'model-00001-of-00002.safetensors') // true
 */
export function matchGlob(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\u0000/g, '.*');
  return new RegExp(`^${re}$`).test(name);
}

/**
 * The repository files that `patterns` select (names or globs), in the repo's order.
 * @example
 * selectFiles(['config.json', 'model.safetensors', 'README.md']) // ['config.json', 'model.safetensors']
 */
export function selectFiles(all: string[], patterns: string[] = DEFAULT_FILES): string[] {
  return all.filter((f) => patterns.some((p) => matchGlob(p, f)));
}

/** An error for a failed Hub request, naming the URL and what to do about it. */
function httpError(url: string, r: Response): Error {
  const hint = r.status === 401 || r.status === 403
    ? ' (a gated or private repository: pass `token` or set HF_TOKEN)'
    : r.status === 404 ? ' (no such repository, revision or file)' : '';
  return new Error(`[hub] ${r.status} ${r.statusText} for ${url}${hint}`);
}

function authHeaders(token: string | undefined, url: string, endpoint: string): Record<string, string> {
  // The token goes only to the Hub itself, never to the storage host a redirect names.
  return token && new URL(url).origin === new URL(endpoint).origin ? { authorization: `Bearer ${token}` } : {};
}

const cleanEtag = (e: string | null) => (e ?? '').replace(/^W\//, '').replace(/"/g, '');
const isCommit = (s: string) => /^[0-9a-f]{40}$/.test(s);

/** The node: modules the disk cache uses (Node and Deno both provide them). */
interface NodeFsP {
  mkdir(p: string, o: { recursive: boolean }): Promise<unknown>;
  stat(p: string): Promise<{ size: number; isFile(): boolean }>;
  readFile(p: string, enc?: string): Promise<string & Uint8Array>;
  writeFile(p: string, d: string | Uint8Array): Promise<void>;
  rename(a: string, b: string): Promise<void>;
  symlink(target: string, p: string): Promise<void>;
  copyFile(a: string, b: string): Promise<void>;
  rm(p: string, o?: { force?: boolean }): Promise<void>;
  open(p: string, flags: string): Promise<{ write(d: Uint8Array): Promise<unknown>; read(b: Uint8Array, o: number, n: number, pos: number | null): Promise<{ bytesRead: number }>; close(): Promise<void> }>;
}
interface NodeCrypto {
  createHash(alg: string): { update(d: Uint8Array): unknown; digest(enc: string): string };
}
const nodeImport = <T>(name: string): Promise<T> => import(/* @vite-ignore */ /* webpackIgnore: true */ ['node', name].join(':')) as Promise<T>;

async function exists(fs: NodeFsP, p: string): Promise<number | undefined> {
  try {
    const s = await fs.stat(p);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** Repo metadata: the commit a revision points at and the repository's file names. */
interface RepoInfo {
  commit: string;
  files: string[];
}

async function repoInfo(repoId: string, revision: string, endpoint: string, token: string | undefined, signal?: AbortSignal): Promise<RepoInfo> {
  const url = `${endpoint.replace(/\/+$/, '')}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`;
  let r: Response;
  try {
    r = await fetch(url, { headers: authHeaders(token, url, endpoint), signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new Error(`[hub] cannot reach ${endpoint} (${(e as Error)?.message ?? e}); without a network, only models already in the cache load`);
  }
  if (r.status === 401 || r.status === 403) throw httpError(url, r);
  if (r.ok) {
    const j = (await r.json()) as { sha?: string; siblings?: { rfilename: string }[] };
    return { commit: j.sha ?? revision, files: (j.siblings ?? []).map((s) => s.rfilename) };
  }
  await r.body?.cancel();
  // No API (a static mirror): probe the usual names and follow the weights index.
  const files: string[] = [];
  let commit = isCommit(revision) ? revision : '';
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'model.safetensors.index.json', 'model.safetensors']) {
    const u = resolveUrl(endpoint, repoId, revision, f);
    const h = await fetch(u, { method: 'HEAD', headers: authHeaders(token, u, endpoint), signal });
    if (!h.ok) {
      if (f === 'config.json') throw httpError(u, h);
      continue;
    }
    commit ||= h.headers.get('x-repo-commit') ?? '';
    files.push(f);
    if (f === 'model.safetensors.index.json') {
      const idx = (await (await fetch(u, { headers: authHeaders(token, u, endpoint), signal })).json()) as { weight_map: Record<string, string> };
      files.push(...new Set(Object.values(idx.weight_map)));
      break;
    }
  }
  return { commit: commit || revision, files };
}

/** Runs `fn` over `items` with at most `n` at a time; the first failure aborts the rest. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const x = items[next++];
      try {
        await fn(x);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

/** Streams a response body into `sink`, reporting bytes as they arrive. */
async function pump(r: Response, sink: (chunk: Uint8Array) => Promise<unknown> | void, onBytes: (n: number) => void): Promise<void> {
  const reader = r.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await sink(value);
    onBytes(value.byteLength);
  }
}

/** True when the snapshot holds every file the default selection needs. */
async function snapshotComplete(fs: NodeFsP, dir: string, patterns: string[] | undefined): Promise<boolean> {
  // Explicit names (no globs) must all be there; with globs, config + weights + tokenizer.
  if (patterns && patterns.every((p) => !/[*?]/.test(p))) {
    for (const p of patterns) if ((await exists(fs, `${dir}/${p}`)) === undefined) return false;
    return true;
  }
  if ((await exists(fs, `${dir}/config.json`)) === undefined) return false;
  if ((await exists(fs, `${dir}/tokenizer.json`)) === undefined && (await exists(fs, `${dir}/tokenizer.model`)) === undefined) return false;
  if ((await exists(fs, `${dir}/model.safetensors`)) !== undefined) return true;
  try {
    const idx = JSON.parse(await fs.readFile(`${dir}/model.safetensors.index.json`, 'utf8')) as { weight_map: Record<string, string> };
    for (const f of new Set(Object.values(idx.weight_map))) if ((await exists(fs, `${dir}/${f}`)) === undefined) return false;
    return true;
  } catch {
    return false;
  }
}

async function defaultToken(): Promise<string | undefined> {
  const t = env('HF_TOKEN') ?? env('HUGGING_FACE_HUB_TOKEN');
  if (t || !onDisk()) return t;
  try {
    const fs = await nodeImport<NodeFsP>('fs/promises');
    const home = env('HF_HOME') ?? `${env('XDG_CACHE_HOME') ?? `${env('HOME') ?? '.'}/.cache`}/huggingface`;
    return (await fs.readFile(`${home}/token`, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Downloads a model repository (cache-first) and returns what `loadModel` takes: the
 * snapshot folder on disk (Deno/Node, Hub cache layout) or a FileMap of Blobs (pages and
 * workers, Cache Storage). Files download in parallel; on disk a cut download resumes from
 * its `blobs/{etag}.incomplete` file with an HTTP Range request, and LFS files are checked
 * against their sha256.
 * @example
 * const dir = await download('mlx-community/SmolLM2-135M-Instruct-4bit', {
 *   onProgress: ({ file, loaded, total }) => console.log(file, loaded, total),
 * });
 * const { model, tokenizer } = await loadModel(dir);
 */
export async function download(repoId: string, opts: DownloadOptions = {}): Promise<string | FileMap> {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repoId)) throw new Error(`[hub] '${repoId}' is not a repository id like 'org/name'`);
  const revision = opts.revision ?? 'main';
  const endpoint = (opts.endpoint ?? env('HF_ENDPOINT') ?? 'https://huggingface.co').replace(/\/+$/, '');
  const offline = opts.offline ?? /^(1|true|yes|on)$/i.test(env('HF_HUB_OFFLINE') ?? '');
  if (onDisk()) return downloadToDisk(repoId, revision, endpoint, offline, opts);
  if (hasBrowserCache()) return downloadToBrowserCache(repoId, revision, endpoint, offline, opts);
  if (offline) throw new Error('[hub] offline and this runtime has no cache');
  // No cache at all: hand back URLs for loadModel to fetch.
  const token = opts.token ?? (await defaultToken());
  const info = await repoInfo(repoId, revision, endpoint, token, opts.signal);
  return Object.fromEntries(selectFiles(info.files, opts.files).map((f) => [f, resolveUrl(endpoint, repoId, info.commit, f)]));
}

async function downloadToDisk(repoId: string, revision: string, endpoint: string, offline: boolean, opts: DownloadOptions): Promise<string> {
  const fs = await nodeImport<NodeFsP>('fs/promises');
  const root = `${opts.cacheDir ?? hubCacheDir()}/${repoFolderName(repoId)}`;
  let commit = isCommit(revision) ? revision : '';
  if (!commit) {
    try {
      commit = (await fs.readFile(`${root}/refs/${revision}`, 'utf8')).trim();
    } catch {}
  }
  if (commit && !opts.forceCheck && (await snapshotComplete(fs, `${root}/snapshots/${commit}`, opts.files))) return `${root}/snapshots/${commit}`;
  if (offline) throw new Error(`[hub] ${repoId}@${revision} is not (completely) in the cache ${root} and downloads are off (offline / HF_HUB_OFFLINE)`);

  const token = opts.token ?? (await defaultToken());
  const info = await repoInfo(repoId, revision, endpoint, token, opts.signal);
  const files = selectFiles(info.files, opts.files);
  if (!files.length) throw new Error(`[hub] no file of ${repoId}@${revision} matches ${JSON.stringify(opts.files ?? DEFAULT_FILES)}`);
  commit = info.commit;
  const snap = `${root}/snapshots/${commit}`;
  await fs.mkdir(`${root}/blobs`, { recursive: true });
  await fs.mkdir(`${root}/refs`, { recursive: true });
  if (revision !== commit) await fs.writeFile(`${root}/refs/${revision}`, commit);

  await pool(files, opts.concurrency ?? 4, async (file) => {
    const target = `${snap}/${file}`;
    const have = await exists(fs, target);
    if (have !== undefined) {
      opts.onProgress?.({ file, loaded: have, total: have });
      return;
    }
    const url = resolveUrl(endpoint, repoId, commit, file);
    // The Hub answers LFS files with a redirect to storage that carries the sha256 etag and
    // size; relative redirects (renamed repos, its resolve cache) stay on the Hub: follow them.
    let head: Response, dataUrl = url, hops = 0;
    for (;;) {
      head = await fetch(dataUrl, { method: 'HEAD', redirect: 'manual', headers: authHeaders(token, dataUrl, endpoint), signal: opts.signal });
      const loc = head.status >= 300 && head.status < 400 ? head.headers.get('location') : null;
      if (!loc) break;
      dataUrl = new URL(loc, dataUrl).href;
      if (!loc.startsWith('/') || ++hops > 5) break;
    }
    if (!head.ok && !(head.status >= 300 && head.status < 400)) throw httpError(dataUrl, head);
    const etag = cleanEtag(head.headers.get('x-linked-etag') ?? head.headers.get('etag')) || `nohash-${commit}-${file.replace(/\//g, '_')}`;
    const size = Number(head.headers.get('x-linked-size') ?? head.headers.get('content-length') ?? 0);
    const blob = `${root}/blobs/${etag}`;
    const blobSize = await exists(fs, blob);
    if (blobSize === undefined || (size && blobSize !== size)) await fetchBlob(fs, dataUrl, blob, { file, size, etag, token, endpoint, opts });
    else opts.onProgress?.({ file, loaded: blobSize, total: blobSize });
    await link(fs, blob, target, file);
  });
  return snap;
}

/** Downloads into `{blob}.incomplete` (resuming what is there), verifies, renames. */
async function fetchBlob(
  fs: NodeFsP, url: string, blob: string,
  o: { file: string; size: number; etag: string; token?: string; endpoint: string; opts: DownloadOptions },
): Promise<void> {
  const part = `${blob}.incomplete`;
  let start = (await exists(fs, part)) ?? 0;
  if (o.size && start > o.size) {
    await fs.rm(part, { force: true });
    start = 0;
  }
  const headers: Record<string, string> = { ...authHeaders(o.token, url, o.endpoint) };
  if (start > 0) headers.range = `bytes=${start}-`;
  const r = await fetch(url, { headers, signal: o.opts.signal });
  if (r.status === 416 && start === o.size) await r.body?.cancel();
  else {
    if (!r.ok) throw httpError(url, r);
    // A server that ignores Range sends the whole file (200): start over.
    if (start > 0 && r.status !== 206) {
      await fs.rm(part, { force: true });
      start = 0;
    }
    const total = o.size || start + Number(r.headers.get('content-length') ?? 0);
    const fh = await fs.open(part, 'a');
    let loaded = start;
    try {
      await pump(r, (c) => fh.write(c), (n) => {
        loaded += n;
        o.opts.onProgress?.({ file: o.file, loaded, total });
      });
    } finally {
      await fh.close();
    }
  }
  const got = (await exists(fs, part)) ?? 0;
  if (o.size && got !== o.size) throw new Error(`[hub] ${o.file}: got ${got} of ${o.size} bytes; run again to resume`);
  if (/^[0-9a-f]{64}$/.test(o.etag)) {
    const sha = await sha256File(fs, part);
    if (sha !== o.etag) {
      await fs.rm(part, { force: true });
      throw new Error(`[hub] ${o.file}: sha256 ${sha} does not match the Hub's ${o.etag}; the partial file was removed`);
    }
  }
  await fs.rename(part, blob);
}

async function sha256File(fs: NodeFsP, path: string): Promise<string> {
  const h = (await nodeImport<NodeCrypto>('crypto')).createHash('sha256');
  const fh = await fs.open(path, 'r');
  const buf = new Uint8Array(1 << 22);
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** snapshots/{commit}/{file} -> a relative symlink to the blob (a copy where links fail). */
async function link(fs: NodeFsP, blob: string, target: string, file: string): Promise<void> {
  const depth = file.split('/').length + 1;
  await fs.mkdir(target.slice(0, target.lastIndexOf('/')), { recursive: true });
  const rel = `${'../'.repeat(depth)}blobs/${blob.slice(blob.lastIndexOf('/') + 1)}`;
  await fs.rm(target, { force: true });
  try {
    await fs.symlink(rel, target);
  } catch {
    await fs.copyFile(blob, target);
  }
}

async function downloadToBrowserCache(repoId: string, revision: string, endpoint: string, offline: boolean, opts: DownloadOptions): Promise<FileMap> {
  const base = `${endpoint}/${repoId}/resolve/${revision}`;
  if (!opts.forceCheck) {
    const hit = await readCachedSnapshot(base);
    if (hit && (!opts.files || selectFiles(hit.manifest.files, opts.files).length)) return hit.files;
  }
  if (offline) throw new Error(`[hub] ${repoId}@${revision} is not in the browser cache and downloads are off`);
  const token = opts.token ?? (await defaultToken());
  const info = await repoInfo(repoId, revision, endpoint, token, opts.signal);
  const names = selectFiles(info.files, opts.files);
  if (!names.length) throw new Error(`[hub] no file of ${repoId}@${revision} matches ${JSON.stringify(opts.files ?? DEFAULT_FILES)}`);
  const out: Record<string, Blob> = {};
  await pool(names, opts.concurrency ?? 4, async (file) => {
    const cached = await readCachedFile(base, info.commit, file);
    if (cached) {
      out[file] = cached;
      opts.onProgress?.({ file, loaded: cached.size, total: cached.size });
      return;
    }
    const url = resolveUrl(endpoint, repoId, info.commit, file);
    const r = await fetch(url, { headers: authHeaders(token, url, endpoint), signal: opts.signal });
    if (!r.ok) throw httpError(url, r);
    const total = Number(r.headers.get('x-linked-size') ?? r.headers.get('content-length') ?? 0);
    const parts: Uint8Array[] = [];
    let loaded = 0;
    await pump(r, (c) => void parts.push(c), (n) => {
      loaded += n;
      opts.onProgress?.({ file, loaded, total });
    });
    const blob = new Blob(parts as BlobPart[]);
    await writeCachedFile(base, info.commit, file, blob);
    out[file] = blob;
  });
  await writeManifest(base, { commit: info.commit, files: names });
  return out;
}
