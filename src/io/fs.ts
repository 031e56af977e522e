// Paths: the file system under Deno and Node, the origin private file system (OPFS) in
// pages and workers, and fetch for URLs. Node's module is imported through a computed
// specifier so browser bundlers leave it alone.

interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
}
interface DenoNs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
}
interface FileHandleLike {
  getFile(): Promise<Blob>;
  createWritable?(): Promise<{ write(d: Uint8Array): Promise<void>; close(): Promise<void> }>;
}
interface DirHandleLike {
  getDirectoryHandle(name: string, o?: { create?: boolean }): Promise<DirHandleLike>;
  getFileHandle(name: string, o?: { create?: boolean }): Promise<FileHandleLike>;
}

/** Which file system path helpers use in this runtime. */
export type FsKind = 'deno' | 'node' | 'opfs' | 'none';

const g = globalThis as {
  Deno?: DenoNs;
  process?: { versions?: { node?: string } };
  navigator?: { storage?: { getDirectory?: () => Promise<unknown> } };
};

/**
 * The file system path helpers use: Deno's, Node's, the browser's OPFS, or none.
 * @example
 * if (fsKind() === 'opfs') console.log('paths live in the origin private file system');
 */
export function fsKind(): FsKind {
  if (g.Deno?.readFile) return 'deno';
  if (g.process?.versions?.node) return 'node';
  if (g.navigator?.storage?.getDirectory) return 'opfs';
  return 'none';
}

let nodeFs: Promise<NodeFs> | null = null;
function node(): Promise<NodeFs> {
  const spec = ['node', 'fs/promises'].join(':');
  nodeFs ??= import(/* @vite-ignore */ /* webpackIgnore: true */ spec) as Promise<NodeFs>;
  return nodeFs;
}

async function opfsParent(path: string, create: boolean): Promise<[DirHandleLike, string]> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new Error(`[io] Invalid OPFS path '${path}'.`);
  let dir = (await g.navigator!.storage!.getDirectory!()) as DirHandleLike;
  for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create });
  return [dir, parts[parts.length - 1]];
}

const isUrl = (p: string) => /^(https?|blob|data|file):/i.test(p);

/**
 * Reads a whole file: a path (Deno/Node file system, OPFS in browsers) or a URL (fetch).
 * @example
 * const bytes = await readFile('weights.safetensors');
 */
export async function readFile(path: string): Promise<Uint8Array> {
  try {
    if (isUrl(path) && !(path.startsWith('file:') && fsKind() !== 'opfs')) {
      const r = await fetch(path);
      if (!r.ok) throw new Error(`HTTP ${r.status} ${r.statusText}`);
      return new Uint8Array(await r.arrayBuffer());
    }
    const p = path.startsWith('file:') ? decodeURIComponent(new URL(path).pathname) : path;
    switch (fsKind()) {
      case 'deno': return await g.Deno!.readFile(p);
      case 'node': return new Uint8Array(await (await node()).readFile(p));
      case 'opfs': {
        const [dir, name] = await opfsParent(p, false);
        return new Uint8Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
      }
      default: throw new Error('this runtime has no file system (no Deno, Node or OPFS)');
    }
  } catch (e) {
    throw new Error(`[io] Cannot read '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Writes a whole file (creating OPFS directories as needed).
 * @example
 * await writeFile('out/w.npy', bytes);
 */
export async function writeFile(path: string, data: Uint8Array): Promise<void> {
  try {
    switch (fsKind()) {
      case 'deno': return await g.Deno!.writeFile(path, data);
      case 'node': return await (await node()).writeFile(path, data);
      case 'opfs': {
        const [dir, name] = await opfsParent(path, true);
        const fh = await dir.getFileHandle(name, { create: true });
        if (!fh.createWritable) throw new Error('this browser cannot write OPFS files from this context (no createWritable)');
        const w = await fh.createWritable();
        await w.write(data);
        await w.close();
        return;
      }
      default: throw new Error('this runtime has no file system (no Deno, Node or OPFS)');
    }
  } catch (e) {
    throw new Error(`[io] Cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}
