// The few host services the CLI needs, under Node or Deno: arguments, files, a terminal.
type NodeFsP = {
  readFile(p: string): Promise<Uint8Array>;
  writeFile(p: string, d: Uint8Array | string): Promise<void>;
  mkdir(p: string, o: { recursive: boolean }): Promise<unknown>;
  stat(p: string): Promise<unknown>;
};
const g = globalThis as unknown as {
  Deno?: {
    args: string[];
    readFile(p: string): Promise<Uint8Array>;
    writeFile(p: string, d: Uint8Array): Promise<void>;
    mkdir(p: string, o: { recursive: boolean }): Promise<void>;
    stat(p: string): Promise<unknown>;
    stdout: { writeSync(d: Uint8Array): number; isTerminal(): boolean };
    exit(code: number): never;
    env: { get(k: string): string | undefined };
  };
  process?: {
    argv: string[];
    stdout: { write(s: string): boolean; isTTY?: boolean };
    exit(code: number): never;
    env: Record<string, string | undefined>;
  };
};

let fsP: Promise<NodeFsP> | null = null;
const nodeFs = () => (fsP ??= import(['node', 'fs/promises'].join(':')) as Promise<NodeFsP>);

export const runtime: 'deno' | 'node' = g.Deno ? 'deno' : 'node';

export function args(): string[] {
  return g.Deno ? g.Deno.args : g.process!.argv.slice(2);
}

export function env(k: string): string | undefined {
  return g.Deno ? g.Deno.env.get(k) : g.process!.env[k];
}

export async function readBytes(p: string): Promise<Uint8Array> {
  return g.Deno ? g.Deno.readFile(p) : new Uint8Array(await (await nodeFs()).readFile(p));
}

export async function readText(p: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(p));
}

export async function writeBytes(p: string, d: Uint8Array | string): Promise<void> {
  const bytes = typeof d === 'string' ? new TextEncoder().encode(d) : d;
  if (g.Deno) await g.Deno.writeFile(p, bytes);
  else await (await nodeFs()).writeFile(p, bytes);
}

export async function mkdirp(p: string): Promise<void> {
  if (g.Deno) await g.Deno.mkdir(p, { recursive: true });
  else await (await nodeFs()).mkdir(p, { recursive: true });
}

export async function exists(p: string): Promise<boolean> {
  try {
    await (g.Deno ? g.Deno.stat(p) : (await nodeFs()).stat(p));
    return true;
  } catch {
    return false;
  }
}

const enc = new TextEncoder();
export function write(s: string): void {
  if (g.Deno) g.Deno.stdout.writeSync(enc.encode(s));
  else g.process!.stdout.write(s);
}

export function isTerminal(): boolean {
  return g.Deno ? g.Deno.stdout.isTerminal() : !!g.process!.stdout.isTTY;
}

export function exit(code: number): never {
  return g.Deno ? g.Deno.exit(code) : g.process!.exit(code);
}
