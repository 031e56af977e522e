// Peer benchmark entry: runs bench/suite.ts (webmlx vs @jax-js/jax, tfjs-webgpu,
// onnxruntime-web) and prints one line `JSON {...}` with all rows, then a markdown table.
// Bundled by bench/run-peers.mjs into dist/bench-peers/peers.mjs (Node, Deno) and
// dist/bench-peers-page/page.js (Chromium). Options (argv, or the page's query string):
//   --big               the GPU machine's sizes (default: small sizes for software drivers)
//   --libs=a,b          subset of webmlx,jax-js,jax-js-jit,tfjs,ort
//   --kinds=a,b         subset of matmul,gelu,softmax,layernorm,sum,adds
//   --reps=N            repetitions per case (default 20/10 big, 3 small)
//   --warm=N            warm-up runs per case (default 3 big, 1 small)
//   --no-ort            skip onnxruntime-web
//   --out=DIR           also write DIR/peers-<runtime>.md and .json (Node, Deno)
import { runSuite, markdownReport, type BenchKind, type SuiteResult } from './suite.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
const G = globalThis as any;
const ORT_WASM = 'ort-wasm-simd-threaded.asyncify.wasm';

function argList(): string[] {
  if (G.document && G.location) return new URLSearchParams(G.location.search).getAll('arg');
  if (G.Deno?.args) return G.Deno.args as string[];
  return (G.process?.argv ?? []).slice(2);
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const ds = new (G.DecompressionStream as any)('gzip');
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(ds);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** ORT's wasm next to this bundle (gzipped to keep the GPU machine's tree small). */
async function loadOrtWasm(): Promise<Uint8Array> {
  const isNode = !!G.process?.versions?.node && !G.Deno && !G.document;
  // next to the bundle, or in the sibling folder bench-peers-ort/ (so it can be left behind)
  for (const name of [`../bench-peers-ort/${ORT_WASM}.gz`, `${ORT_WASM}.gz`, ORT_WASM]) {
    const url = new URL(name, import.meta.url);
    let bytes: Uint8Array | null = null;
    try {
      if (isNode) {
        const fs = await import('node:fs/promises');
        bytes = new Uint8Array(await fs.readFile(url));
      } else if (G.Deno && url.protocol === 'file:') {
        bytes = await G.Deno.readFile(url);
      } else {
        const res = await fetch(url);
        if (res.ok) bytes = new Uint8Array(await res.arrayBuffer());
      }
    } catch {
      bytes = null;
    }
    if (bytes) return name.endsWith('.gz') ? gunzip(bytes) : bytes;
  }
  throw new Error(`${ORT_WASM}(.gz) not found next to the bundle`);
}

export async function main(args: string[]): Promise<SuiteResult> {
  const opt = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const libs = opt('libs')?.split(',').filter(Boolean);
  const kinds = opt('kinds')?.split(',').filter(Boolean) as BenchKind[] | undefined;
  const reps = opt('reps') ? Number(opt('reps')) : undefined;
  const warm = opt('warm') ? Number(opt('warm')) : undefined;
  const result = await runSuite({
    big: args.includes('--big'),
    libs,
    kinds,
    reps,
    warm,
    ortWasm: args.includes('--no-ort') ? undefined : loadOrtWasm,
    log: (l) => console.log(`# ${l}`),
  });
  const md = markdownReport(result);
  // the JSON line first, the table last (a log's tail shows the table)
  console.log(`JSON ${JSON.stringify(result)}`);
  console.log(md);
  const out = opt('out');
  if (out && !G.document) {
    const name = `${out.replace(/\/$/, '')}/peers-${result.runtime.split(' ')[0]}${result.big ? '-big' : ''}`;
    const fs = await import('node:fs/promises');
    await fs.writeFile(`${name}.md`, md + '\n');
    await fs.writeFile(`${name}.json`, JSON.stringify(result, null, 1) + '\n');
    console.log(`# wrote ${name}.md and ${name}.json`);
  }
  return result;
}

if (G.document) {
  // page: run, then hand the result to the driver (bench/run-peers.mjs)
  main(argList()).then(
    (r) => G.__report?.({ ok: true, result: r }),
    (e) => G.__report?.({ ok: false, error: String(e?.stack ?? e) }),
  );
} else {
  try {
    await main(argList());
    G.process?.exit?.(0);
    G.Deno?.exit?.(0);
  } catch (e) {
    console.error(e);
    G.process?.exit?.(1);
    G.Deno?.exit?.(1);
  }
}
