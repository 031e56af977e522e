// Where downloaded model files live in a page or worker: Cache Storage, keyed by the
// file's Hub URL at its commit, plus one manifest per (repo, revision) that lists the files,
// so a later load can tell a complete snapshot from a partial one without the network.

/**
 * Name of the Cache Storage bucket that holds model files.
 * @example
 * await caches.delete(HUB_CACHE_NAME); // forget every downloaded model
 */
export const HUB_CACHE_NAME = 'webmlx-hub';

/** What a (repo, revision) resolved to when it was downloaded. */
export interface HubManifest {
  commit: string;
  files: string[];
}

interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, r: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
  keys(): Promise<readonly { url: string }[]>;
}
const g = globalThis as { caches?: { open(name: string): Promise<CacheLike>; delete(name: string): Promise<boolean> } };

/**
 * Whether this runtime has Cache Storage (pages, workers, Deno).
 * @example
 * if (hasBrowserCache()) console.log('model files persist across page loads');
 */
export function hasBrowserCache(): boolean {
  return typeof g.caches?.open === 'function';
}

function open(): Promise<CacheLike> {
  if (!hasBrowserCache()) throw new Error('[hub] this runtime has no Cache Storage (globalThis.caches)');
  return g.caches!.open(HUB_CACHE_NAME);
}

const manifestKey = (base: string) => `${base}/.webmlx-manifest.json`;

/**
 * The cached files of a snapshot, by name, or undefined unless every listed file is cached.
 * `base` is the Hub URL prefix of the revision (`{endpoint}/{repo}/resolve/{revision}`).
 * @example
 * const files = await readCachedSnapshot('https://huggingface.co/org/m/resolve/main');
 */
export async function readCachedSnapshot(base: string): Promise<{ manifest: HubManifest; files: Record<string, Blob> } | undefined> {
  const cache = await open();
  const m = await cache.match(manifestKey(base));
  if (!m) return undefined;
  const manifest = (await m.json()) as HubManifest;
  const files: Record<string, Blob> = {};
  for (const f of manifest.files) {
    const r = await cache.match(fileKey(base, manifest.commit, f));
    if (!r) return undefined;
    files[f] = await r.blob();
  }
  return { manifest, files };
}

/**
 * The cache key of one file: its resolve URL at the commit.
 * @example
 * fileKey('https://huggingface.co/org/m/resolve/main', 'abc', 'config.json') // '.../org/m/resolve/abc/config.json'
 */
export function fileKey(base: string, commit: string, file: string): string {
  return `${base.replace(/\/resolve\/[^/]+$/, '')}/resolve/${commit}/${file}`;
}

/**
 * A cached file, or undefined.
 * @example
 * const blob = await readCachedFile(base, commit, 'config.json');
 */
export async function readCachedFile(base: string, commit: string, file: string): Promise<Blob | undefined> {
  const r = await (await open()).match(fileKey(base, commit, file));
  return r ? r.blob() : undefined;
}

/**
 * Stores one downloaded file.
 * @example
 * await writeCachedFile(base, commit, 'config.json', new Blob(['{}']));
 */
export async function writeCachedFile(base: string, commit: string, file: string, data: Blob): Promise<void> {
  await (await open()).put(fileKey(base, commit, file), new Response(data, { headers: { 'content-length': String(data.size) } }));
}

/**
 * Records that every file of the snapshot is cached (written last, so a cut download
 * leaves no manifest behind).
 * @example
 * await writeManifest(base, { commit, files: ['config.json'] });
 */
export async function writeManifest(base: string, manifest: HubManifest): Promise<void> {
  await (await open()).put(manifestKey(base), new Response(JSON.stringify(manifest), { headers: { 'content-type': 'application/json' } }));
}

/**
 * Deletes cached model files: those under a URL prefix (e.g. one repo's
 * `https://huggingface.co/org/name/`), or the whole bucket when no prefix is given.
 * @example
 * await clearBrowserCache('https://huggingface.co/mlx-community/SmolLM2-135M-Instruct/');
 */
export async function clearBrowserCache(prefix?: string): Promise<void> {
  if (!hasBrowserCache()) return;
  if (prefix === undefined) {
    await g.caches!.delete(HUB_CACHE_NAME);
    return;
  }
  const cache = await open();
  for (const k of await cache.keys()) if (k.url.startsWith(prefix)) await cache.delete(k.url);
}
